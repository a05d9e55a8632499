DROP INDEX `file_events_cwd_idx`;--> statement-breakpoint
CREATE INDEX `file_events_cwd_at_idx` ON `file_events` (`cwd`,`at`);