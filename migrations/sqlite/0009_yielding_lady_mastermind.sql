ALTER TABLE `release_plans` ADD `on_trip` text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE `release_plans` ADD `pre_plan_config` text;