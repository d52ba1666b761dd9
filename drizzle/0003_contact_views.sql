CREATE TABLE "applied_contact_views" (
	"view_id" uuid PRIMARY KEY NOT NULL,
	"applied_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contact_view_buffer" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "contact_view_buffer_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"view_id" uuid NOT NULL,
	"workspace_id" bigint NOT NULL,
	"contact_id" bigint NOT NULL,
	"viewed_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "view_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "last_viewed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "contact_view_buffer" ADD CONSTRAINT "contact_view_buffer_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "applied_contact_views_applied_at_idx" ON "applied_contact_views" USING btree ("applied_at");