ALTER TABLE `change_requests` ADD `operations` text;--> statement-breakpoint
ALTER TABLE `change_requests` ADD `conflicts` text;