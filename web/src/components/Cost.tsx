import { formatUsd, isBelowOneCent } from "../lib/format";

/** A cost as the exact decimal string; amounts under a cent get a hint so "$0.0000135" is not misread. */
export function Cost({ usd }: { usd: string | null | undefined }) {
  const text = formatUsd(usd);
  const tiny = usd ? isBelowOneCent(usd) : false;
  return (
    <span className="cost" title={tiny ? `${text} (less than one cent)` : text} data-testid="cost">
      {text}
    </span>
  );
}
