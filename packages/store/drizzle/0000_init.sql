CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`activity` text,
	`cwd` text NOT NULL,
	`task` text NOT NULL,
	`parent_id` text,
	`permission_mode` text NOT NULL,
	`pid` integer,
	`exit_code` integer,
	`error` text,
	`session_id` text,
	`checkpoint_id` text,
	`created_at` text NOT NULL,
	`ended_at` text,
	`command` text,
	`args` text DEFAULT '[]' NOT NULL,
	`images` text DEFAULT '[]' NOT NULL,
	`depth` integer DEFAULT 1 NOT NULL,
	`token_hash` text,
	FOREIGN KEY (`parent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_live_name_unique` ON `agents` (`name`) WHERE "agents"."status" NOT IN ('done', 'failed', 'killed');--> statement-breakpoint
CREATE INDEX `agents_name_idx` ON `agents` (`name`,`created_at`);--> statement-breakpoint
CREATE INDEX `agents_status_idx` ON `agents` (`status`);--> statement-breakpoint
CREATE INDEX `agents_token_hash_idx` ON `agents` (`token_hash`);--> statement-breakpoint
CREATE INDEX `agents_parent_idx` ON `agents` (`parent_id`);--> statement-breakpoint
CREATE TABLE `checkpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`cwd` text NOT NULL,
	`commit` text NOT NULL,
	`agent_id` text,
	`reason` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `checkpoints_cwd_idx` ON `checkpoints` (`cwd`,`created_at`);--> statement-breakpoint
CREATE INDEX `checkpoints_agent_idx` ON `checkpoints` (`agent_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `context_entries` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`author` text,
	`version` integer NOT NULL,
	`updated_at` text NOT NULL,
	`deleted` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE `file_event_agents` (
	`event_id` integer NOT NULL,
	`agent_id` text NOT NULL,
	PRIMARY KEY(`agent_id`, `event_id`),
	FOREIGN KEY (`event_id`) REFERENCES `file_events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `file_event_agents_event_idx` ON `file_event_agents` (`event_id`);--> statement-breakpoint
CREATE TABLE `file_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cwd` text NOT NULL,
	`path` text NOT NULL,
	`kind` text NOT NULL,
	`agent_ids` text NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `file_events_cwd_idx` ON `file_events` (`cwd`,`id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`from_id` text,
	`to_id` text NOT NULL,
	`body` text NOT NULL,
	`state` text NOT NULL,
	`created_at` text NOT NULL,
	`delivered_at` text,
	`read_at` text,
	FOREIGN KEY (`from_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`to_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `messages_to_state_idx` ON `messages` (`to_id`,`state`,`id`);--> statement-breakpoint
CREATE INDEX `messages_to_idx` ON `messages` (`to_id`,`id`);--> statement-breakpoint
CREATE INDEX `messages_from_idx` ON `messages` (`from_id`,`id`);