CREATE TABLE `change_log` (
	`environment` text NOT NULL,
	`revision` integer NOT NULL,
	`patch` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`environment`, `revision`)
);
--> statement-breakpoint
CREATE INDEX `change_log_created_at_idx` ON `change_log` (`created_at`);