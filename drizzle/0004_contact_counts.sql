CREATE TABLE "workspace_contact_counts" (
	"workspace_id" bigint PRIMARY KEY NOT NULL,
	"contacts" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workspace_contact_counts" ADD CONSTRAINT "workspace_contact_counts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;