PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_change_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`flag_id` integer,
	`environment_id` integer,
	`segment_id` integer,
	`kind` text NOT NULL,
	`environments` text DEFAULT '[]' NOT NULL,
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
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`segment_id`) REFERENCES `segments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_change_requests`("id", "flag_id", "environment_id", "kind", "state", "proposed", "base_version", "author", "author_user_id", "comment", "apply_at", "reviewer", "review_comment", "reviewed_at", "applied_at", "conflict", "created_at", "updated_at") SELECT "id", "flag_id", "environment_id", "kind", "state", "proposed", "base_version", "author", "author_user_id", "comment", "apply_at", "reviewer", "review_comment", "reviewed_at", "applied_at", "conflict", "created_at", "updated_at" FROM `change_requests`;--> statement-breakpoint
DROP TABLE `change_requests`;--> statement-breakpoint
ALTER TABLE `__new_change_requests` RENAME TO `change_requests`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `change_requests_state_idx` ON `change_requests` (`state`,`apply_at`);--> statement-breakpoint
CREATE INDEX `change_requests_flag_idx` ON `change_requests` (`flag_id`,`environment_id`);--> statement-breakpoint
ALTER TABLE `flags` ADD `version` integer DEFAULT 1 NOT NULL;