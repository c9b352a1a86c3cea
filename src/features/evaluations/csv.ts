/**
 * A small RFC 4180 CSV reader and writer: comma-separated fields, records ended by CRLF or LF (a lone CR is
 * accepted too), fields in double quotes may hold commas, line breaks and `""` (an escaped quote). A leading
 * UTF-8 BOM is skipped. Blank lines are skipped, so a writer must quote a record that is one empty field.
 */

export interface CsvRecord {
  /** the 1-based physical line the record starts on (a quoted field can span several lines) */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  override name = "CsvError";
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  // the current field was quoted and its closing quote has been read: only , or a line break may follow
  let closed = false;
  // the current record had a quoted field, so a lone empty field is a real record, not a blank line
  let quotedInRecord = false;

  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !quotedInRecord)) {
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = "";
    closed = false;
    quotedInRecord = false;
  };

  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (inQuotes) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        closed = true;
        i++;
        continue;
      }
      if (c === "\n" || (c === "\r" && s[i + 1] !== "\n")) line++;
      field += c;
      i++;
      continue;
    }
    if (c === ",") {
      fields.push(field);
      field = "";
      closed = false;
      i++;
    } else if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
    } else if (c === '"') {
      if (field !== "" || closed) {
        throw new CsvError(
          line,
          'a double quote inside an unquoted field: quote the whole field and write the quote as ""',
        );
      }
      inQuotes = true;
      quotedInRecord = true;
      i++;
    } else {
      if (closed)
        throw new CsvError(line, "unexpected text after a closing quote; expected , or a line break");
      field += c;
      i++;
    }
  }
  if (inQuotes) throw new CsvError(recordLine, 'a quoted field is never closed (missing ")');
  if (field !== "" || fields.length > 0 || quotedInRecord) endRecord();
  return records;
}

const NEEDS_QUOTES = /[",\r\n]/;

function quote(field: string): string {
  return NEEDS_QUOTES.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** Records to CSV text with CRLF line ends (RFC 4180), quoting only where needed. */
export function toCsv(rows: string[][]): string {
  return rows
    .map((row) => (row.length === 1 && row[0] === "" ? '""' : row.map(quote).join(",")))
    .map((r) => `${r}\r\n`)
    .join("");
}
