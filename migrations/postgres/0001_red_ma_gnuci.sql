ALTER TABLE "release_plans" ADD COLUMN "on_trip" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "release_plans" ADD COLUMN "pre_plan_config" json;