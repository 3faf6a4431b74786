CREATE TABLE `project_members` (
	`project_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`role` text NOT NULL,
	PRIMARY KEY(`project_id`, `user_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `project_members_user_idx` ON `project_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_key_unique` ON `projects` (`key`);--> statement-breakpoint
INSERT INTO `projects` (`id`, `key`, `name`, `archived`, `created_at`, `updated_at`) VALUES (1, 'default', 'Default', 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));--> statement-breakpoint
DROP INDEX `environments_key_unique`;--> statement-breakpoint
ALTER TABLE `environments` ADD `project_id` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `environments` ADD `ref` text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE `environments` SET `ref` = `key`;--> statement-breakpoint
CREATE UNIQUE INDEX `environments_ref_unique` ON `environments` (`ref`);--> statement-breakpoint
CREATE UNIQUE INDEX `environments_project_key_uq` ON `environments` (`project_id`,`key`);--> statement-breakpoint
DROP INDEX `flags_key_unique`;--> statement-breakpoint
ALTER TABLE `flags` ADD `project_id` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `flags_project_key_uq` ON `flags` (`project_id`,`key`);--> statement-breakpoint
DROP INDEX `segments_key_unique`;--> statement-breakpoint
ALTER TABLE `segments` ADD `project_id` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `segments_project_key_uq` ON `segments` (`project_id`,`key`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `project_id` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_events` ADD `project` text;--> statement-breakpoint
CREATE INDEX `audit_project_idx` ON `audit_events` (`project`);--> statement-breakpoint
ALTER TABLE `change_requests` ADD `project_id` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `change_requests_project_idx` ON `change_requests` (`project_id`,`state`);--> statement-breakpoint
ALTER TABLE `users` ADD `org_admin` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `sso_issuer` text;--> statement-breakpoint
ALTER TABLE `users` ADD `sso_subject` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_sso_uq` ON `users` (`sso_issuer`,`sso_subject`);--> statement-breakpoint
UPDATE `users` SET `org_admin` = (`role` = 'admin');--> statement-breakpoint
INSERT INTO `project_members` (`project_id`, `user_id`, `role`) SELECT 1, `id`, `role` FROM `users`;--> statement-breakpoint
INSERT INTO `settings` (`key`, `value`) SELECT 'audit_project_since', CAST(COALESCE(MAX(`id`), 0) + 1 AS TEXT) FROM `audit_events`;
