// Wildcard patterns (`:`, `like`) and Lucene regular expressions (`regex`) as compiled matchers.
import { describe, expect, it } from 'vitest';
import { luceneToJsSource, regexMatcher } from '../../detection/eql/regex.js';
import { wildcardMatch } from '../../detection/eql/wildcard.js';

const re = (pattern: string, value: string, insensitive = false) => regexMatcher(pattern, insensitive)(value);

describe('wildcards', () => {
  it('* is any run, ? one character, whole string', () => {
    expect(wildcardMatch('abc', 'a*')).toBe(true);
    expect(wildcardMatch('abc', '*c')).toBe(true);
    expect(wildcardMatch('abc', '*b*')).toBe(true);
    expect(wildcardMatch('abc', 'a*c')).toBe(true);
    expect(wildcardMatch('ac', 'a*c')).toBe(true);
    expect(wildcardMatch('abc', 'b*')).toBe(false);
    expect(wildcardMatch('abc', 'a?c')).toBe(true);
    expect(wildcardMatch('a𝄞c', 'a?c')).toBe(true);
    expect(wildcardMatch('abbc', 'a?c')).toBe(false);
    expect(wildcardMatch('aXbXc', '*X*X*')).toBe(true);
    expect(wildcardMatch('%x%', '%*%*')).toBe(true);
  });
  it('regex metacharacters and backslashes are literal', () => {
    expect(wildcardMatch('a.c', 'a.c')).toBe(true);
    expect(wildcardMatch('abc', 'a.c')).toBe(false);
    expect(wildcardMatch('a(b)c+', 'a(b)*+')).toBe(true);
    expect(wildcardMatch('C:\\Windows\\x.exe', 'C:\\Windows\\*.exe')).toBe(true);
    expect(wildcardMatch('a\\*', 'a\\*')).toBe(true);
    expect(wildcardMatch('a\\bc', 'a\\*')).toBe(true);
  });
  it('insensitive folding, including non-ASCII', () => {
    expect(wildcardMatch('REG.EXE', 'reg.*', true)).toBe(true);
    expect(wildcardMatch('ÉCOLE', 'éc*', true)).toBe(true);
    expect(wildcardMatch('ÉCOLE', 'éc*', false)).toBe(false);
  });
});

describe('Lucene regex', () => {
  it('anchors to the whole string', () => {
    expect(re('abc', 'abc')).toBe(true);
    expect(re('b', 'abc')).toBe(false);
    expect(re('.*b.*', 'abc')).toBe(true);
  });
  it('operators: . ? * + {n,m} | () [] [^] ranges', () => {
    expect(re('a.c', 'a-c')).toBe(true);
    expect(re('ab?c', 'ac')).toBe(true);
    expect(re('ab+c', 'ac')).toBe(false);
    expect(re('a{2,3}', 'aaa')).toBe(true);
    expect(re('a{2,3}', 'aaaa')).toBe(false);
    expect(re('a{2}', 'aa')).toBe(true);
    expect(re('a{2,}', 'aaaaa')).toBe(true);
    expect(re('(ab)|(cd)', 'cd')).toBe(true);
    expect(re('[a-c]+', 'abcab')).toBe(true);
    expect(re('[^a-c]+', 'xyz')).toBe(true);
    expect(re('[^a-c]+', 'xaz')).toBe(false);
    expect(re('()x', 'x')).toBe(true);
  });
  it('quantifier after a quantifier is "optional", never lazy', () => {
    // Lucene: (a{2})? matches "" or "aa"; a JS lazy a{2}? would only match "aa".
    expect(re('a{2}?', '')).toBe(true);
    expect(re('.*?net1.*?', 'x net1 y')).toBe(true);
  });
  it('no shorthand classes and no anchors: \\d is d, ^ and $ are characters', () => {
    expect(re('\\d', 'd')).toBe(true);
    expect(re('\\d', '1')).toBe(false);
    expect(re('^a$', '^a$')).toBe(true);
    expect(re('\\.', '.')).toBe(true);
  });
  it('quoted literals, @ any string, # empty language', () => {
    expect(re('"a.b"c', 'a.bc')).toBe(true);
    expect(re('"a.b"c', 'axbc')).toBe(false);
    expect(re('@', 'anything at all')).toBe(true);
    expect(re('ab@', 'abzz')).toBe(true);
    expect(re('#', '')).toBe(false);
    expect(re('a|#', 'a')).toBe(true);
  });
  it('numeric intervals <n-m>', () => {
    expect(re('foo<1-100>', 'foo1')).toBe(true);
    expect(re('foo<1-100>', 'foo100')).toBe(true);
    expect(re('foo<1-100>', 'foo101')).toBe(false);
    expect(re('foo<1-100>', 'foo007')).toBe(true); // different widths: any leading zeros
    expect(re('<01-10>', '05')).toBe(true); // equal widths: fixed digits
    expect(re('<01-10>', '5')).toBe(false);
    expect(re('<10-1>', '7')).toBe(true); // bounds in either order
    for (let n = 0; n <= 1200; n++) expect(re('<37-1111>', String(n)), String(n)).toBe(n >= 37 && n <= 1111);
  });
  it('intersection & and complement ~', () => {
    expect(re('a.*&.*c', 'abc')).toBe(true);
    expect(re('a.*&.*c', 'abd')).toBe(false);
    expect(re('~(abc)', 'abd')).toBe(true);
    expect(re('~(abc)', 'abc')).toBe(false);
    expect(re('x~(b)y', 'xay')).toBe(true);
    expect(re('x~(b)y', 'xby')).toBe(false);
    expect(re('x~(b)y', 'xy')).toBe(true);
    expect(re('(~(a*))b', 'bab')).toBe(true);
    expect(re('(~(a*))b', 'aab')).toBe(false);
    expect(re('[a-c]+&~(.*b.*)', 'acca')).toBe(true);
    expect(re('[a-c]+&~(.*b.*)', 'acba')).toBe(false);
    expect(re('A.*&.*C', 'abc', true)).toBe(true);
  });
  it('case-insensitive regex~', () => {
    expect(re('reg\\.exe', 'REG.EXE', true)).toBe(true);
    expect(re('[a-z]+', 'ABC', true)).toBe(true);
    expect(re('reg\\.exe', 'REG.EXE', false)).toBe(false);
  });
  it('bad patterns are coded errors that say what to fix', () => {
    expect(() => re('a(b', 'x')).toThrow(/HW_ERR_EQL_BAD_PATTERN.*expected '\)'/);
    expect(() => re('*a', 'x')).toThrow(/HW_ERR_EQL_BAD_PATTERN/);
    expect(() => re('[z-a]', 'x')).toThrow(/out of order/);
    expect(() => re('<name>', 'x')).toThrow(/named automaton/);
  });
  it('translates to an anchored JS source', () => {
    expect(luceneToJsSource('a.c')).toBe('^(?:a.c)$');
  });
});
