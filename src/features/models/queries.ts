import { sql } from "kysely";
import type { Conn } from "../../lib/db.ts";
import { mapUnique } from "../orgs/queries.ts";

/** The catalog an org sees: the global models plus its own. */
export function listModels(db: Conn, orgId: string) {
  return db
    .selectFrom("models")
    .selectAll()
    .where((eb) => eb.or([eb("organization_id", "is", null), eb("organization_id", "=", orgId)]))
    .orderBy("provider")
    .orderBy("slug")
    .execute();
}

export function getModel(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("models")
    .selectAll()
    .where("id", "=", id)
    .where((eb) => eb.or([eb("organization_id", "is", null), eb("organization_id", "=", orgId)]))
    .executeTakeFirst();
}

/** Resolve a catalog slug for an org: its own model first, then the global one. */
export function findModelBySlug(db: Conn, orgId: string, slug: string) {
  return db
    .selectFrom("models")
    .selectAll()
    .where("slug", "=", slug)
    .where((eb) => eb.or([eb("organization_id", "is", null), eb("organization_id", "=", orgId)]))
    .orderBy(sql`organization_id IS NULL`)
    .limit(1)
    .executeTakeFirst();
}

export function insertModel(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    slug: string;
    provider: "openai-compatible";
    upstream_model: string;
    display_name: string;
    credential_id: string;
    supports_vision: boolean;
    supports_streaming: boolean;
    context_window: number;
    max_output_tokens: number;
  },
) {
  return mapUnique(
    db.insertInto("models").values(row).returningAll().executeTakeFirstOrThrow(),
    `A model "${row.slug}" exists`,
  );
}

export function deleteModel(db: Conn, orgId: string, id: string) {
  return db.deleteFrom("models").where("organization_id", "=", orgId).where("id", "=", id).executeTakeFirst();
}

/** The price in force at `at`: an org override beats the global list price; the latest effective row wins. */
export function priceAt(db: Conn, orgId: string, modelId: string, at: Date) {
  return db
    .selectFrom("model_prices")
    .selectAll()
    .where("model_id", "=", modelId)
    .where((eb) => eb.or([eb("organization_id", "is", null), eb("organization_id", "=", orgId)]))
    .where("effective_from", "<=", at)
    .orderBy(sql`organization_id IS NULL`)
    .orderBy("effective_from", "desc")
    .limit(1)
    .executeTakeFirst();
}

export function listPrices(db: Conn, orgId: string, modelId: string) {
  return db
    .selectFrom("model_prices")
    .selectAll()
    .where("model_id", "=", modelId)
    .where((eb) => eb.or([eb("organization_id", "is", null), eb("organization_id", "=", orgId)]))
    .orderBy("effective_from", "desc")
    .execute();
}

export function insertPrice(
  db: Conn,
  row: {
    id: string;
    model_id: string;
    organization_id: string;
    input_per_mtok: string;
    output_per_mtok: string;
    cached_input_per_mtok: string;
    effective_from: Date;
  },
) {
  return db.insertInto("model_prices").values(row).returningAll().executeTakeFirstOrThrow();
}
