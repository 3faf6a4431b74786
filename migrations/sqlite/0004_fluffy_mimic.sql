CREATE TABLE `guard_exposure_counts` (
	`environment_id` integer NOT NULL,
	`flag_key` text NOT NULL,
	`variant` text NOT NULL,
	`minute` integer NOT NULL,
	`count` integer NOT NULL,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `guard_exposure_counts_uq` ON `guard_exposure_counts` (`environment_id`,`flag_key`,`variant`,`minute`);