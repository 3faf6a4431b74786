CREATE TABLE `change_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`flag_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`proposed` text NOT NULL,
	`base_version` integer NOT NULL,
	`author` text NOT NULL,
	`author_user_id` integer,
	`comment` text,
	`apply_at` text,
	`reviewer` text,
	`review_comment` text,
	`reviewed_at` text,
	`applied_at` text,
	`conflict` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`flag_id`) REFERENCES `flags`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `change_requests_state_idx` ON `change_requests` (`state`,`apply_at`);--> statement-breakpoint
CREATE INDEX `change_requests_flag_idx` ON `change_requests` (`flag_id`,`environment_id`);--> statement-breakpoint
ALTER TABLE `audit_events` ADD `on_behalf_of` text;