/**
 * The `llm:` section of `agentos.yaml`: the upstream model providers the LLM gateway forwards to (DESIGN §7,
 * issue 5 §4). Provider API keys live here (as `${env:NAME}` references), never with the agents.
 */
import { z } from 'zod';
import { durationSetting } from './config-fields.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A model name as agents send it and policy sees it (the `llm.chat` resource). */
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/;
const provider = z
  .object({
    name: z
      .string()
      .regex(NAME, 'must be letters, digits, `.`, `_`, `-`')
      .describe('names the provider in records and in `/v1/models` (`owned_by`)'),
    kind: z
      .enum(['openai', 'anthropic'])
      .describe('the API the provider speaks: OpenAI chat completions, or the Anthropic Messages API'),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .optional()
      .describe(
        'the API root: calls go to `<baseUrl>/chat/completions` (openai, default https://api.openai.com/v1) or `<baseUrl>/v1/messages` (anthropic, default https://api.anthropic.com)',
      ),
    apiKey: z
      .string()
      .min(1)
      .max(4096)
      .describe(
        "the provider's API key, held by the kernel only; `${env:NAME}` reads the daemon's environment",
      ),
    models: z
      .array(z.string().regex(MODEL, 'must be a model name'))
      .min(1)
      .describe('the models agents may ask this provider for (policy decides which agent gets which)'),
    maxTokens: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe('`max_tokens` sent to an anthropic provider when the request names none'),
  })
  .strict();

/** The `llm:` section of `agentos.yaml`. */
export const llmConfigSchema = z
  .object({
    providers: z
      .array(provider)
      .default([])
      .superRefine((list, ctx) => {
        const names = new Set<string>();
        const models = new Map<string, string>();
        list.forEach((p, i) => {
          if (names.has(p.name))
            ctx.addIssue({
              code: 'custom',
              message: `provider \`${p.name}\` is defined twice`,
              path: [i, 'name'],
            });
          names.add(p.name);
          p.models.forEach((m, j) => {
            const other = models.get(m);
            if (other !== undefined)
              ctx.addIssue({
                code: 'custom',
                message: `model \`${m}\` is already offered by provider \`${other}\``,
                path: [i, 'models', j],
              });
            models.set(m, p.name);
          });
        });
      })
      .describe('upstream providers; each model is offered by exactly one provider'),
    approvalWait: durationSetting('30s', 'how long a model call waits for approval before it is refused'),
    timeout: durationSetting('120s', 'how long an upstream call may take, start to end, before it fails'),
  })
  .strict();

/** The LLM gateway's settings, validated. */
export type LlmConfig = Readonly<z.infer<typeof llmConfigSchema>>;

/** One upstream provider's settings. */
export type LlmProviderConfig = LlmConfig['providers'][number];
