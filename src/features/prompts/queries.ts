import { sql } from "kysely";
import { beforeCursor, type Conn } from "../../lib/db.ts";
import { mapUnique } from "../orgs/queries.ts";

export function insertPrompt(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    name: string;
    description: string;
    tags: string[];
    created_by_user_id: string | null;
    created_at: Date;
    updated_at: Date;
  },
) {
  return mapUnique(
    db.insertInto("prompts").values(row).returningAll().executeTakeFirstOrThrow(),
    `A prompt named "${row.name}" exists`,
  );
}

export function getPrompt(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("prompts")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Locks the prompt row, so two concurrent new versions get consecutive numbers. */
export function getPromptForUpdate(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("prompts")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export function listPrompts(
  db: Conn,
  orgId: string,
  f: { search?: string; tag?: string; limit: number; after?: { updatedAt: Date; id: string } },
) {
  let q = db.selectFrom("prompts").selectAll().where("organization_id", "=", orgId);
  if (f.search) {
    const pattern = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb("name", "ilike", pattern), eb("description", "ilike", pattern)]));
  }
  if (f.tag) q = q.where(sql<boolean>`${f.tag} = ANY(tags)`);
  if (f.after) {
    const a = f.after;
    q = q.where(beforeCursor("updated_at", a.updatedAt, a.id));
  }
  return q
    .orderBy("updated_at", "desc")
    .orderBy("id", "desc")
    .limit(f.limit + 1)
    .execute();
}

export function updatePrompt(
  db: Conn,
  orgId: string,
  id: string,
  patch: { name?: string; description?: string; tags?: string[]; latest_version?: number; updated_at: Date },
) {
  return mapUnique(
    db
      .updateTable("prompts")
      .set(patch)
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow(),
    "A prompt with that name exists",
  );
}

export function deletePrompt(db: Conn, orgId: string, id: string) {
  return db
    .deleteFrom("prompts")
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export function insertVersion(
  db: Conn,
  row: {
    id: string;
    prompt_id: string;
    organization_id: string;
    version: number;
    messages: string;
    model: string;
    params: string;
    variables: string[];
    commit_message: string;
    author_user_id: string | null;
    author_api_key_id: string | null;
  },
) {
  return db.insertInto("prompt_versions").values(row).returningAll().executeTakeFirstOrThrow();
}

export function listVersions(db: Conn, orgId: string, promptId: string) {
  return db
    .selectFrom("prompt_versions")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("prompt_id", "=", promptId)
    .orderBy("version", "desc")
    .execute();
}

export function getVersion(db: Conn, orgId: string, promptId: string, version: number) {
  return db
    .selectFrom("prompt_versions")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("prompt_id", "=", promptId)
    .where("version", "=", version)
    .executeTakeFirst();
}

export function getVersionByLabel(db: Conn, orgId: string, promptId: string, label: string) {
  return db
    .selectFrom("prompt_labels as l")
    .innerJoin("prompt_versions as v", "v.id", "l.version_id")
    .selectAll("v")
    .where("l.organization_id", "=", orgId)
    .where("l.prompt_id", "=", promptId)
    .where("l.label", "=", label)
    .executeTakeFirst();
}

export function labelsOf(db: Conn, orgId: string, promptIds: string[]) {
  if (promptIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom("prompt_labels as l")
    .innerJoin("prompt_versions as v", "v.id", "l.version_id")
    .select(["l.prompt_id", "l.label", "v.version", "l.updated_at"])
    .where("l.organization_id", "=", orgId)
    .where("l.prompt_id", "in", promptIds)
    .orderBy("l.label")
    .execute();
}

export function upsertLabel(
  db: Conn,
  row: { prompt_id: string; organization_id: string; label: string; version_id: string; updated_at: Date },
) {
  return db
    .insertInto("prompt_labels")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["prompt_id", "label"])
        .doUpdateSet({ version_id: row.version_id, updated_at: row.updated_at }),
    )
    .execute();
}

export function deleteLabel(db: Conn, orgId: string, promptId: string, label: string) {
  return db
    .deleteFrom("prompt_labels")
    .where("organization_id", "=", orgId)
    .where("prompt_id", "=", promptId)
    .where("label", "=", label)
    .executeTakeFirst();
}
