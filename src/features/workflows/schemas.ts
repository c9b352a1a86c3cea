import { z } from "zod";

/**
 * The workflow definition as the API accepts and stores it. Zod checks the shape here; dag.ts checks the
 * meaning (references, cycles) and service.ts what needs the database (prompt versions, variables, models).
 * Objects are strict, so a misspelt key ("varibles") is a 400 rather than silently ignored.
 */
const MAX_TEMPLATE = 100_000;

/** Step ids and input names: used inside `{{steps.<id>.output}}` and `{{inputs.<name>}}`, so no dots. */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ident = z
  .string()
  .min(1)
  .max(64)
  .regex(IDENT_RE, "letters, digits, '_' or '-', starting with a letter or '_'");

/** A string in which `{{inputs.x}}`, `{{steps.id.output}}` and `{{steps.id.json.path}}` are replaced. */
const template = z
  .string()
  .max(MAX_TEMPLATE)
  .describe("A template with {{inputs.…}} / {{steps.…}} references");

export const inputValue = z.union([z.string().max(MAX_TEMPLATE), z.number(), z.boolean()]);

const inputDef = z.strictObject({
  name: ident,
  description: z.string().max(2000).optional(),
  /** default true, unless a default is given */
  required: z.boolean().optional(),
  default: inputValue.optional(),
});

const retry = z.strictObject({
  max_attempts: z.number().int().min(1).max(5).describe("attempts in all, the first included"),
  backoff_ms: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .describe("delay before attempt n+1 is backoff_ms × 2^(n-1), capped at 60 s"),
});

export const promptStep = z
  .strictObject({
    id: ident,
    type: z.literal("prompt"),
    prompt_id: z.string().min(1).max(64),
    version: z.number().int().min(1).max(2_147_483_647).optional(),
    label: z.string().min(1).max(64).optional(),
    model: z.string().min(1).max(128).optional().describe("overrides the prompt version's model"),
    variables: z.record(z.string().max(200), template).default({}),
    retry: retry.optional(),
  })
  .refine((s) => s.version === undefined || s.label === undefined, {
    message: "give either version or label, not both",
    path: ["label"],
  });

const transformBase = { id: ident, type: z.literal("transform") };
const oneInput = z.strictObject({
  ...transformBase,
  op: z.enum(["json_parse", "uppercase", "lowercase", "trim"]),
  input: template,
});
export const transformStep = z.discriminatedUnion("op", [
  z.strictObject({ ...transformBase, op: z.literal("template"), template }),
  oneInput,
  z.strictObject({
    ...transformBase,
    op: z.literal("json_get"),
    input: template,
    path: z
      .string()
      .min(1)
      .max(500)
      .regex(/^[^.\s{}]+(\.[^.\s{}]+)*$/, "dot-separated keys or array indexes, e.g. items.0.name"),
  }),
  z.strictObject({
    ...transformBase,
    op: z.literal("concat"),
    inputs: z.array(template).min(1).max(100),
    separator: z.string().max(1000).default(""),
  }),
]);

export const stepSchema = z.discriminatedUnion("type", [promptStep, transformStep]);

export const definitionSchema = z
  .strictObject({
    inputs: z.array(inputDef).max(50).default([]),
    steps: z.array(stepSchema).min(1).max(50),
    output: z.union([template, z.record(ident, template)]),
    failure_policy: z.enum(["fail_fast", "continue"]).default("fail_fast"),
  })
  .meta({ id: "WorkflowDefinition" });

export type Definition = z.infer<typeof definitionSchema>;
export type Step = Definition["steps"][number];
export type PromptStep = Extract<Step, { type: "prompt" }>;
export type TransformStep = Extract<Step, { type: "transform" }>;
export type InputValue = z.infer<typeof inputValue>;

const usage = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
});
const errorInfo = z.object({ code: z.string(), message: z.string(), step: z.string().optional() });

export const workflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    definition: definitionSchema,
    version: z.number().int(),
    created_by_user_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Workflow" });

export const runStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);

export const runSchema = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    workflow_version: z.number().int(),
    status: runStatus,
    inputs: z.record(z.string(), inputValue),
    output: z.union([z.string(), z.record(z.string(), z.string())]).nullable(),
    error: errorInfo.nullable(),
    job_id: z.string().nullable(),
    cancel_requested: z.boolean(),
    usage,
    cost_usd: z.string().describe("exact decimal string, the sum of the steps' executions"),
    created_by_user_id: z.string().nullable(),
    created_by_api_key_id: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "WorkflowRun" });

export const stepRunSchema = z
  .object({
    step_id: z.string(),
    type: z.enum(["prompt", "transform"]),
    status: z.enum(["pending", "running", "succeeded", "failed", "skipped", "cancelled"]),
    depends_on: z.array(z.string()),
    attempts: z.number().int(),
    output: z.string().nullable(),
    error: errorInfo.nullable(),
    execution_id: z.string().nullable(),
    latency_ms: z.number().int().nullable(),
    usage,
    cost_usd: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "WorkflowStepRun" });

export const runDetailSchema = runSchema
  .extend({
    definition: definitionSchema,
    steps: z.array(stepRunSchema),
    graph: z
      .object({
        nodes: z.array(
          z.object({
            id: z.string(),
            type: z.enum(["prompt", "transform"]),
            label: z.string(),
            status: stepRunSchema.shape.status,
            level: z.number().int().describe("longest path from a root: a column to draw it in"),
          }),
        ),
        edges: z.array(z.object({ from: z.string(), to: z.string() })),
      })
      .describe("the DAG, for drawing: an edge from a step to each step that references it"),
  })
  .meta({ id: "WorkflowRunDetail" });
