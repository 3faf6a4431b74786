CREATE INDEX `event_counts_minute_idx` ON `event_counts` (`minute`);--> statement-breakpoint
CREATE INDEX `exposure_counts_minute_idx` ON `exposure_counts` (`minute`);--> statement-breakpoint
CREATE INDEX `guard_event_counts_minute_idx` ON `guard_event_counts` (`minute`);--> statement-breakpoint
CREATE INDEX `guard_exposure_counts_minute_idx` ON `guard_exposure_counts` (`minute`);