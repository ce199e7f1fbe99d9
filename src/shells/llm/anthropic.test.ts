/** Translating chat requests to the Anthropic Messages API: what is kept, what is refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAgentOsError } from '../../kernel/errors.js';
import { toMessages } from './anthropic.js';
import { chatRequestSchema } from './chat.js';

const req = (body: unknown) => chatRequestSchema.parse(body);

describe('toMessages', () => {
  it('moves system and developer messages to `system` and joins text parts', () => {
    const out = toMessages(
      req({
        model: 'claude',
        max_completion_tokens: 9,
        messages: [
          { role: 'system', content: 'a' },
          { role: 'developer', content: [{ type: 'text', text: 'b' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'hi ' },
              { type: 'text', text: 'there' },
            ],
          },
          { role: 'assistant', content: 'yes' },
        ],
      }),
      1024,
      false,
    );
    expect(out).toEqual({
      model: 'claude',
      max_tokens: 9,
      system: 'a\n\nb',
      messages: [
        { role: 'user', content: 'hi there' },
        { role: 'assistant', content: 'yes' },
      ],
    });
  });

  it('refuses what it would otherwise drop: images, tool messages, tools, several choices', () => {
    const bad = [
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      { messages: [{ role: 'tool', content: 'r', tool_call_id: 't' }] },
      { messages: [{ role: 'user', content: 'x' }], tools: [] },
      { messages: [{ role: 'user', content: 'x' }], n: 2 },
      { messages: [{ role: 'system', content: 'only a system prompt' }] },
    ];
    for (const b of bad) {
      expect(() => toMessages(req({ model: 'claude', ...b }), 1024, false)).toThrow(
        expect.objectContaining({ code: 'AOS_REQUEST_INVALID' }),
      );
    }
  });

  it('either translates a request or refuses it as invalid, never anything else', () => {
    const message = fc.record({
      role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'x'),
      content: fc.oneof(
        fc.string(),
        fc.constant(null),
        fc.array(fc.record({ type: fc.constantFrom('text', 'image_url'), text: fc.string() })),
      ),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), (messages) => {
        try {
          const out = toMessages(req({ model: 'm', messages }), 1024, true) as {
            messages: { role: string }[];
          };
          expect(out.messages.every((m) => m.role === 'user' || m.role === 'assistant')).toBe(true);
          expect(out.messages.length).toBe(
            messages.filter((m) => ['user', 'assistant'].includes(m.role)).length,
          );
        } catch (e) {
          expect(isAgentOsError(e) && e.code === 'AOS_REQUEST_INVALID').toBe(true);
        }
      }),
    );
  });
});
