ALTER TABLE "change_requests" ADD COLUMN "operations" json;--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "conflicts" json;