import { useEffect, useId, useState } from "react";
import { useSearchParams } from "wouter";

/**
 * A list's search text, kept in the URL's `?q=`. `text` follows the input at once; `search` (what to
 * query with) follows it 250 ms after the person stops typing, so the list is not refetched per keystroke.
 */
export function useUrlSearch() {
  const [params, setParams] = useSearchParams();
  const search = params.get("q") ?? "";
  const [text, setText] = useState(search);
  useEffect(() => {
    const t = setTimeout(() => {
      if (text !== search) setParams(text ? { q: text } : {}, { replace: true });
    }, 250);
    return () => clearTimeout(t);
  }, [text, search, setParams]);
  return { search, text, setText };
}

/** The toolbar above a list: a labelled search box, and "Updating…" while a refetch is under way. */
export function SearchToolbar({
  label,
  placeholder,
  value,
  onChange,
  updating,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (text: string) => void;
  updating: boolean;
}) {
  const id = useId();
  return (
    <div className="toolbar">
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <input
        id={id}
        type="search"
        className="search"
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      {updating && <span className="muted small">Updating…</span>}
    </div>
  );
}
