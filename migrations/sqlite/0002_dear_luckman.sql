CREATE TABLE `guard_event_counts` (
	`environment_id` integer NOT NULL,
	`flag_key` text NOT NULL,
	`variant` text NOT NULL,
	`event` text NOT NULL,
	`minute` integer NOT NULL,
	`count` integer NOT NULL,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `guard_event_counts_uq` ON `guard_event_counts` (`environment_id`,`flag_key`,`event`,`variant`,`minute`);--> statement-breakpoint
CREATE TABLE `release_plans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`flag_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`variation` text NOT NULL,
	`state` text NOT NULL,
	`stages` text NOT NULL,
	`current_stage` integer NOT NULL,
	`stage_started_at` text NOT NULL,
	`stage_history` text NOT NULL,
	`guard` text,
	`approvals` text NOT NULL,
	`incident` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`flag_id`) REFERENCES `flags`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `release_plans_flag_env_idx` ON `release_plans` (`flag_id`,`environment_id`);--> statement-breakpoint
CREATE INDEX `release_plans_env_state_idx` ON `release_plans` (`environment_id`,`state`);