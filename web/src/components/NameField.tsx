import { useId } from "react";

/** The required "Name" input of a create/edit form (at most 200 characters, as the API allows). */
export function NameField({
  value,
  onChange,
  readOnly,
  grow,
}: {
  value: string;
  onChange: (name: string) => void;
  readOnly?: boolean;
  /** In a `.row`, take the free width (`field grow`). */
  grow?: boolean;
}) {
  const id = useId();
  return (
    <div className={grow ? "field grow" : "field"}>
      <label htmlFor={id}>Name</label>
      <input
        id={id}
        required
        maxLength={200}
        value={value}
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
