import type { Conn } from "../../lib/db.ts";
import type { ProviderKind } from "../../lib/db-types.ts";
import { mapUnique } from "../orgs/queries.ts";

const publicColumns = ["id", "provider", "name", "base_url", "key_hint", "created_at", "updated_at"] as const;

export function insertCredential(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    provider: ProviderKind;
    name: string;
    base_url: string | null;
    secret_ciphertext: string;
    key_hint: string;
  },
) {
  return mapUnique(
    db.insertInto("provider_credentials").values(row).returning(publicColumns).executeTakeFirstOrThrow(),
    `A provider credential named "${row.name}" exists`,
  );
}

export function listCredentials(db: Conn, orgId: string) {
  return db
    .selectFrom("provider_credentials")
    .select(publicColumns)
    .where("organization_id", "=", orgId)
    .orderBy("created_at")
    .execute();
}

export function getCredential(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("provider_credentials")
    .select(publicColumns)
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export function updateCredential(
  db: Conn,
  orgId: string,
  id: string,
  patch: {
    name?: string;
    base_url?: string | null;
    secret_ciphertext?: string;
    key_hint?: string;
    updated_at: Date;
  },
) {
  return mapUnique(
    db
      .updateTable("provider_credentials")
      .set(patch)
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .returning(publicColumns)
      .executeTakeFirst(),
    "A provider credential with that name exists",
  );
}

export function deleteCredential(db: Conn, orgId: string, id: string) {
  return db
    .deleteFrom("provider_credentials")
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export function countModelsUsing(db: Conn, credentialId: string) {
  return db
    .selectFrom("models")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("credential_id", "=", credentialId)
    .executeTakeFirstOrThrow();
}

/** The secret-bearing row, for the pipeline only. Newest first when an org has several for one provider. */
export function secretFor(db: Conn, orgId: string, by: { id: string } | { provider: ProviderKind }) {
  let q = db
    .selectFrom("provider_credentials")
    .select(["id", "base_url", "secret_ciphertext", "updated_at"])
    .where("organization_id", "=", orgId);
  q = "id" in by ? q.where("id", "=", by.id) : q.where("provider", "=", by.provider);
  return q.orderBy("created_at", "desc").limit(1).executeTakeFirst();
}
