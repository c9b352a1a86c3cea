import { useId } from "react";

/** The optional "Description" textarea of a create/edit form (at most 5000 characters, as the API allows). */
export function DescriptionField({
  value,
  onChange,
  readOnly,
  rows = 2,
}: {
  value: string;
  onChange: (description: string) => void;
  readOnly?: boolean;
  rows?: number;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Description</label>
      <textarea
        id={id}
        rows={rows}
        maxLength={5000}
        value={value}
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
