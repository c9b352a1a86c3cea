import { useId, useMemo, useState } from "react";
import { diffStats, diffText, foldUnchanged } from "../lib/diff";

/** A unified line diff of two texts, with both sides' line numbers. */
export function DiffView({
  before,
  after,
  labels,
}: {
  before: string;
  after: string;
  labels: [string, string];
}) {
  const [showAll, setShowAll] = useState(false);
  const toggleId = useId();
  const lines = useMemo(() => diffText(before, after), [before, after]);
  const stats = diffStats(lines);
  const shown = showAll ? lines : foldUnchanged(lines, 3);
  return (
    <figure className="diff" aria-label={`Changes from ${labels[0]} to ${labels[1]}`}>
      <figcaption className="diff-head">
        <span>
          {labels[0]} → {labels[1]}
        </span>
        <span className="diff-stats">
          <span className="diff-stat-add">+{stats.added}</span>{" "}
          <span className="diff-stat-del">−{stats.removed}</span>
        </span>
        <span className="diff-toggle">
          <input
            id={toggleId}
            type="checkbox"
            checked={showAll}
            onChange={(e) => setShowAll(e.target.checked)}
          />
          <label htmlFor={toggleId}>Show unchanged lines</label>
        </span>
      </figcaption>
      {stats.added === 0 && stats.removed === 0 ? (
        <p className="muted diff-empty">The two versions are identical.</p>
      ) : (
        <table className="diff-table">
          <thead className="sr-only">
            <tr>
              <th scope="col">Old line</th>
              <th scope="col">New line</th>
              <th scope="col">Change</th>
              <th scope="col">Text</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((l, i) =>
              l.kind === "fold" ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows of a fixed rendering
                <tr key={i} className="diff-fold">
                  <td colSpan={4}>
                    ⋯ {l.count} unchanged line{l.count === 1 ? "" : "s"}
                  </td>
                </tr>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows of a fixed rendering
                <tr key={i} className={`diff-${l.kind}`}>
                  <td className="diff-no">{l.kind !== "add" ? l.oldNo : ""}</td>
                  <td className="diff-no">{l.kind !== "del" ? l.newNo : ""}</td>
                  <td className="diff-mark">
                    <span aria-hidden="true">{l.kind === "add" ? "+" : l.kind === "del" ? "−" : " "}</span>
                    <span className="sr-only">
                      {l.kind === "add" ? "added" : l.kind === "del" ? "removed" : ""}
                    </span>
                  </td>
                  <td className="diff-text">{l.text || " "}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </figure>
  );
}
