import { describe, expect, test } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from './markdown';

describe('markdown for the notes preview', () => {
  test('blocks: headings, paragraphs, lists, quotes, code and rules', () => {
    const blocks = parseMarkdown(
      '# Plan\n\nFirst line\nsecond line\n\n- one\n- two\n\n1. a\n2. b\n\n> quoted\n\n```\n<b>raw</b>\n```\n\n---',
    );
    expect(blocks.map((b) => b.type)).toEqual([
      'heading',
      'paragraph',
      'list',
      'list',
      'quote',
      'code',
      'rule',
    ]);
    expect(blocks[0]).toEqual({ type: 'heading', level: 1, children: [{ type: 'text', text: 'Plan' }] });
    expect(blocks[1]).toEqual({
      type: 'paragraph',
      children: [{ type: 'text', text: 'First line\nsecond line' }],
    });
    expect(blocks[2]).toMatchObject({ ordered: false, items: [[{ text: 'one' }], [{ text: 'two' }]] });
    expect(blocks[3]).toMatchObject({ ordered: true });
    expect(blocks[5]).toEqual({ type: 'code', text: '<b>raw</b>' });
  });

  test('inline: strong, emphasis, code, links; unmatched marks stay text', () => {
    expect(parseInline('**bold** and *it* and `x*y` and [site](https://example.org)')).toEqual([
      { type: 'strong', children: [{ type: 'text', text: 'bold' }] },
      { type: 'text', text: ' and ' },
      { type: 'em', children: [{ type: 'text', text: 'it' }] },
      { type: 'text', text: ' and ' },
      { type: 'code', text: 'x*y' },
      { type: 'text', text: ' and ' },
      { type: 'link', href: 'https://example.org', children: [{ type: 'text', text: 'site' }] },
    ]);
    expect(parseInline('2 * 3 = 6, a_b')).toEqual([{ type: 'text', text: '2 * 3 = 6, a_b' }]);
    expect(parseInline('\\*not em\\*')).toEqual([{ type: 'text', text: '*not em*' }]);
  });

  test.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' data:text/html,<script>alert(1)</script>',
    '//evil.example',
    '/relative',
    'vbscript:x',
  ])('the link %j is dropped, its text kept', (href) => {
    expect(safeHref(href)).toBeNull();
    const inline = parseInline(`[click](${href})`);
    expect(inline[0]).toEqual({ type: 'text', text: 'click' });
    expect(JSON.stringify(inline)).not.toContain('"link"');
  });

  test('HTML stays text', () => {
    expect(parseMarkdown('<img src=x onerror=alert(1)>')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: '<img src=x onerror=alert(1)>' }] },
    ]);
  });

  test('a megabyte of text parses in linear time', () => {
    const big = '- item with **bold** text\n'.repeat(40_000);
    const started = performance.now();
    const blocks = parseMarkdown(big);
    expect(blocks).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
