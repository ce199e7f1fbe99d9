/** The `llm:` section's schema: defaults, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { llmConfigSchema } from './llm-config.js';

const openai = { name: 'openai', kind: 'openai', apiKey: '${env:OPENAI_API_KEY}', models: ['gpt-4o-mini'] };

describe('llm config', () => {
  it('defaults to no providers and a 30 s approval wait', () => {
    expect(llmConfigSchema.parse({})).toEqual({ providers: [], approvalWait: '30s', timeout: '120s' });
  });

  it('fills a provider’s defaults', () => {
    expect(llmConfigSchema.parse({ providers: [openai] }).providers).toEqual([
      { ...openai, maxTokens: 1024 },
    ]);
  });

  it('refuses a model offered by two providers, a provider defined twice, and an unknown kind', () => {
    const twice = llmConfigSchema.safeParse({ providers: [openai, { ...openai, name: 'other' }] });
    expect(twice.error?.issues.map((i) => i.message)).toEqual([
      'model `gpt-4o-mini` is already offered by provider `openai`',
    ]);
    const same = llmConfigSchema.safeParse({ providers: [openai, { ...openai, models: ['x'] }] });
    expect(same.error?.issues.map((i) => i.message)).toEqual(['provider `openai` is defined twice']);
    expect(llmConfigSchema.safeParse({ providers: [{ ...openai, kind: 'gemini' }] }).success).toBe(false);
    expect(llmConfigSchema.safeParse({ approvalWait: 'soon' }).success).toBe(false);
    expect(llmConfigSchema.safeParse({ extra: 1 }).success).toBe(false);
  });
});
