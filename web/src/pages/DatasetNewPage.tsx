import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { keys } from "../api/queries";
import type { Dataset } from "../api/types";
import { useCan } from "../auth";
import {
  DatasetFileFields,
  type FormatChoice,
  ImportErrors,
  importDatasetFile,
} from "../components/DatasetImport";
import { DescriptionField } from "../components/DescriptionField";
import { NameField } from "../components/NameField";
import { PageHeader } from "../components/PageHeader";
import { ErrorMessage, NoAccess, Notice } from "../components/states";
import { type DatasetFile, FileReadError, readDatasetFile } from "../lib/dataset-file";

/**
 * A new dataset, usually from a file. The file is read first (so an unreadable one creates nothing), then
 * the dataset is created and the file imported. When the API refuses the file, its bad lines are listed;
 * the dataset stays, empty, and the next submit imports the corrected file into it.
 */
export function DatasetNewPage() {
  const canWrite = useCan("prompts:write");
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<FormatChoice>("auto");
  const [created, setCreated] = useState<Dataset | null>(null);
  const [read, setRead] = useState<DatasetFile | null>(null);

  const create = useMutation({
    mutationFn: async () => {
      const f = file ? await readDatasetFile(file, format) : null;
      setRead(f);
      let dataset = created;
      if (!dataset) {
        dataset = await api<Dataset>("/api/v1/datasets", {
          body: { name, ...(description ? { description } : {}) },
        });
        setCreated(dataset);
        void qc.invalidateQueries({ queryKey: keys.datasets });
      }
      if (f) await importDatasetFile(dataset.id, f);
      return dataset;
    },
    onSuccess: (d) => {
      void qc.invalidateQueries({ queryKey: keys.datasets });
      navigate(`/datasets/${d.id}`);
    },
  });

  if (!canWrite) {
    return (
      <>
        <PageHeader title="New dataset" />
        <NoAccess what="create datasets" />
      </>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const importFailed = created !== null && create.isError;
  return (
    <>
      <PageHeader title="New dataset" description={<Link href="/datasets">← All datasets</Link>} />
      <form className="panel form" onSubmit={submit} aria-label="New dataset">
        <NameField value={created ? created.name : name} onChange={setName} readOnly={created !== null} />
        <DescriptionField
          value={created ? created.description : description}
          onChange={setDescription}
          readOnly={created !== null}
        />
        <DatasetFileFields file={file} onFile={setFile} format={format} onFormat={setFormat} />
        {importFailed ? (
          <>
            <ImportErrors error={create.error} file={read} />
            <Notice tone="info">
              The dataset “{created.name}” was created and is empty. Choose a corrected file and import it, or{" "}
              <Link href={`/datasets/${created.id}`}>open the empty dataset</Link>.
            </Notice>
          </>
        ) : create.error instanceof FileReadError ? (
          <ImportErrors error={create.error} file={null} />
        ) : (
          <ErrorMessage error={create.error} title="The dataset was not created" />
        )}
        <div className="form-actions">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={create.isPending || (created !== null && !file)}
          >
            {create.isPending
              ? "Working…"
              : created
                ? "Import file"
                : file
                  ? "Create and import"
                  : "Create empty dataset"}
          </button>
          <Link href="/datasets" className="btn">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
