CREATE TABLE `audit_checkpoints` (
	`id` integer PRIMARY KEY NOT NULL,
	`event_id` integer NOT NULL,
	`hash` text NOT NULL,
	`at` text NOT NULL,
	`signature` text NOT NULL,
	`key_id` text NOT NULL
);
