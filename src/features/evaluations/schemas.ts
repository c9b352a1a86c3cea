import { z } from "zod";

/** Limits that keep one dataset or run within what a single job and one page of memory can hold. */
export const MAX_DATASET_ITEMS = 10_000;
/** items × targets × models */
export const MAX_RUN_CELLS = 50_000;
/** import bodies may be larger than LECTERN_BODY_LIMIT_BYTES: bytes */
export const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * A variable name, as prompt templates spell them (`{{name}}`). `expected` and `metadata` are reserved: they
 * are the CSV columns that are not variables, so every dataset can be exported to CSV and imported back.
 */
export const variableName = z
  .string()
  .max(200)
  .regex(/^[A-Za-z_][\w.-]*$/, "a variable name: letters, digits, _, . or -, starting with a letter or _")
  .refine((n) => n !== "expected" && n !== "metadata", "expected and metadata are reserved names");

export const itemInput = z
  .object({
    variables: z
      .record(variableName, z.union([z.string().max(100_000), z.number(), z.boolean()]))
      .default({})
      .describe("The values for the prompt's {{variables}}"),
    expected: z.string().max(100_000).nullable().optional().describe("The reference output, if any"),
    metadata: z.record(z.string(), z.unknown()).optional().describe("Free-form, kept with the item"),
  })
  .strict();
export type ItemInput = z.input<typeof itemInput>;

const name = z
  .string()
  .regex(/^[\w.-]{1,64}$/, "1-64 letters, digits, _, . or -")
  .optional()
  .describe("Unique within the run; defaults to the type");
const threshold = z
  .number()
  .min(0)
  .max(1)
  .optional()
  .describe("A cell passes this evaluator when score ≥ threshold");

/** The evaluator specs a run can use. Every evaluator scores 0..1 and passes at score ≥ threshold. */
export const evaluatorSpec = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("exact_match"),
      name,
      threshold,
      value: z.string().max(100_000).optional().describe("Compare with this instead of the item's expected"),
      normalize: z
        .object({
          trim: z.boolean().optional().describe("default true"),
          case: z.boolean().optional().describe("ignore case"),
          whitespace: z.boolean().optional().describe("collapse runs of whitespace to one space"),
          punctuation: z.boolean().optional().describe("drop punctuation"),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("contains"),
      name,
      threshold,
      value: z.string().min(1).max(100_000).optional().describe("defaults to the item's expected"),
      case_sensitive: z.boolean().optional().describe("default true"),
    })
    .strict(),
  z
    .object({
      type: z.literal("regex"),
      name,
      threshold,
      pattern: z.string().min(1).max(1000),
      flags: z
        .string()
        .regex(/^[imsu]{0,4}$/, "flags among i, m, s, u")
        .optional(),
    })
    .strict(),
  z.object({ type: z.literal("json_valid"), name, threshold }).strict(),
  z
    .object({
      type: z.literal("json_schema"),
      name,
      threshold,
      schema: z.record(z.string(), z.unknown()).describe("A JSON Schema (draft-07); format is not checked"),
    })
    .strict(),
  z
    .object({
      type: z.literal("numeric"),
      name,
      threshold,
      tolerance: z.number().min(0).default(0).describe("absolute, or a fraction of the expected value"),
      relative: z.boolean().optional(),
      value: z.number().optional().describe("defaults to the item's expected, read as a number"),
    })
    .strict(),
  z
    .object({
      type: z.literal("llm_judge"),
      name,
      threshold,
      model: z.string().min(1).max(128).describe("The judge's catalog slug"),
      rubric: z
        .string()
        .min(1)
        .max(20_000)
        .describe(
          "The judge's instructions; may use {{output}}, {{expected}}, {{input}} and the item's variables",
        ),
      scale: z
        .number()
        .positive()
        .max(1000)
        .optional()
        .describe("The judge scores out of this (e.g. 10); without it the scale is inferred"),
    })
    .strict(),
]);
export type EvaluatorSpec = z.output<typeof evaluatorSpec>;
