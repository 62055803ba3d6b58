package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where jinjava and Python's Jinja2 differ, {@link JinjaTemplate} renders what Jinja2 renders with
 * transformers' settings (trim_blocks, lstrip_blocks, loopcontrols, its tojson, raise_exception,
 * strftime_now). Each expected string follows from Jinja2's documented rules, stated next to it.
 */
class JinjaDialectTest {
    static final Clock CLOCK = Clock.fixed(LocalDateTime.of(2024, 9, 5, 14, 3, 7).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    static String render(String template, Object... keyValues) {
        Map<String, Object> vars = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            vars.put((String) keyValues[i], keyValues[i + 1]);
        }
        return JinjaTemplate.compile(template, CLOCK).render(vars);
    }

    @Test
    void trimBlocksAndLstripBlocksAsJinja2() {
        // trim_blocks drops the newline after a block tag; lstrip_blocks drops the indentation before one
        assertEquals("a\n  b\nc", render("a\n  {% if true %}\n  b\n  {% endif %}\nc"));
        // lstrip_blocks only strips when nothing but spaces precede the tag on its line (jinjava strips anyway)
        assertEquals("a  b  c", render("a  {% if true %}b{% endif %}  c"));
        // "-" strips all whitespace on its side, newlines included
        assertEquals("AB", render("{%- if true -%}\n  A  \n{%- endif -%}\n\n B"));
        // "+" keeps the indentation (lstrip off) and the newline (trim off); expressions are never trimmed
        assertEquals("  a\n  b\nc", render("  {{ 'a' }}\n  {%+ if true %}b{% endif +%}\nc"));
    }

    @Test
    void commentsAndTheLastNewlineAsJinja2() {
        // "{#-" strips before, a comment's end takes its newline (trim_blocks), indentation before a comment goes (lstrip)
        assertEquals("x  y z\nw", render("x {#- c #}  y {# d -#}\n z\n  {# e #}\nw"));
        // keep_trailing_newline=False: one final newline of the template is dropped
        assertEquals("abc", render("abc\n"));
        assertEquals("abc\n", render("abc\n\n"));
    }

    @Test
    void notBindsLooserThanComparisonsAndTests() {
        // Jinja2: not a == b is not (a == b); not x is defined is not (x is defined)
        assertEquals("T", render("{% if not a == b %}T{% else %}F{% endif %}", "a", 1, "b", 2));
        assertEquals("F", render("{% if not x is defined %}T{% else %}F{% endif %}", "x", true));
        assertEquals("True", render("{{ not y|length == 1 }}", "y", List.of(1, 2)));
        // the common idiom of templates: a value passed in is not reset
        assertEquals("True", render("{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}"
                + "{% endif %}{{ add_generation_prompt }}", "add_generation_prompt", true));
        // "not in" and "is not" are operators of their own
        assertEquals("True True", render("{{ 'a' not in 'bc' }} {{ x is not none }}", "x", 1));
    }

    @Test
    void filteredLoopsCountOnlyTheKeptItemsAndLoopsHaveElse() {
        assertEquals("1:1,2:3,3:4.", render("{% for i in [1, 2, 3, 4] if i != 2 %}{{ loop.index }}:{{ i }}"
                + "{% if loop.last %}.{% else %},{% endif %}{% endfor %}"));
        assertEquals("empty|b", render("{% for i in [] %}{{ i }}{% else %}empty{% endfor %}|"
                + "{% for k, v in {'a': 1, 'b': 2}.items() if v > 1 %}{{ k }}{% else %}none{% endfor %}"));
        assertEquals("13", render("{% for i in [1, 2, 3, 4] %}{% if i == 2 %}{% continue %}{% endif %}"
                + "{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"));
    }

    @Test
    void stringsHavePythonsMethods() {
        String s = " \u00a0tax "; // Python's strip also removes the no-break space
        assertEquals("[tax][tax ][ \u00a0tax][\u00a0ta]TrueTrue", render("[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}]"
                + "[{{ s.strip(' x') }}]{{ s.startswith(' ') }}{{ s.endswith(('y', 'x ')) }}", "s", s));
        assertEquals("['a', 'b', '', 'c']['a', 'b']Ab CdABx|e", render("{{ 'a,b,,c'.split(',') }}{{ ' a  b '.split() }}"
                + "{{ 'ab cd'.title() }}{{ 'Ab'.upper() }}{{ s[-2] }}|{{ 'hello'[1] }}", "s", s));
        assertEquals("tax", render("{{ s | trim }}", "s", s));
        assertEquals("b=1;a=2;dfltTrue", render("{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}"
                + "{{ d.get('z', 'dflt') }}{{ 'a' in d }}", "d", orderedMap("b", 1, "a", 2)));
    }

    @Test
    void valuesPrintAsPythonsStr() {
        assertEquals("True False ['a', 1, True, None, 2.5] {'k': \"it's\"}", render("{{ t }} {{ f }} {{ l }} {{ d }}",
                "t", true, "f", false, "l", Arrays.asList("a", 1, true, null, 2.5), "d", Map.of("k", "it's")));
    }

    @Test
    void tojsonIsJsonDumpsWithTransformersArguments() {
        Map<String, Object> d = orderedMap("b", List.of(1, 2.5), "a", null);
        // json.dumps: ", " and ": " separators; with indent, "," at line ends; ensure_ascii=False keeps é
        assertEquals("{\"b\": [1, 2.5], \"a\": null}|{\n  \"b\": [\n    1,\n    2.5\n  ],\n  \"a\": null\n}|\"\u00e9\"",
                render("{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ 'é' | tojson }}", "d", d));
    }

    @Test
    void literalsEscapesAndBraces() {
        // Python string escapes; a minus sign is not a whitespace marker; "}}" inside an expression
        assertEquals("\u00e9A\n|-1|1", render("{{ '\\u00e9\\x41\\n' }}|{{ -1 }}|{{ {'a': {'b': 1}}['a']['b'] }}"));
        // transformers' {% generation %} renders its body
        assertEquals("ABC", render("A{% generation %}B{% endgeneration %}C"));
    }

    @Test
    void printedTextIsNeverRenderedAgain() {
        assertEquals("{{ secret }} {% if x %}", render("{{ m }}", "m", "{{ secret }} {% if x %}", "secret", "leaked"));
    }

    @Test
    void strftimeNowIsDefinedAndReadsTheClock() {
        assertEquals("True 05 Sep 2024 Thursday 14:03", render("{{ strftime_now is defined }} {{ strftime_now('%d %b %Y') }} "
                + "{{ strftime_now('%A %H:%M') }}"));
    }

    @Test
    void failuresNameWhatFailed() {
        JinjaTemplate.JinjaException raised = assertThrows(JinjaTemplate.JinjaException.class,
                () -> render("{{ raise_exception('Only user and assistant roles are supported!') }}"));
        assertEquals("the template raised an exception: Only user and assistant roles are supported!", raised.getMessage());
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> render("{{ 'a' | nosuch }}")).getMessage()
                .contains("filter 'nosuch'"));
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> render("{{ nosuch('a') }}")).getMessage()
                .contains("nosuch"));
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> render("{% if x %}a")).getMessage()
                .toLowerCase().contains("endif"));
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> render("{{ 'a' ")).getMessage().contains("unclosed"));
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class,
                () -> render("{% for i in l %}{{ loop.previtem }}{% endfor %}", "l", List.of(1))).getMessage().contains("loop.previtem"));
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> render("{{ 'a'.nosuch() }}")).getMessage()
                .contains("'str' object has no attribute 'nosuch'"));
    }

    @Test
    void structureErrorsAreFoundWhenCompiling() {
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> JinjaTemplate.compile("{% if x %}a", CLOCK))
                .getMessage().contains("endif"));
        assertTrue(assertThrows(JinjaTemplate.JinjaException.class, () -> JinjaTemplate.compile("{% frobnicate %}", CLOCK))
                .getMessage().contains("frobnicate"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.builder().chatTemplate("{% for m in messages %}{{ m.content }}").build());
        assertTrue(e.getMessage().startsWith("chatTemplate: ") && e.getMessage().contains("endfor"), e.getMessage());
    }

    @Test
    void aBrokenTemplateFailsAtLoadNamingTheFile(@TempDir Path tmp) {
        try (Tokenizer tok = ChatTokenizers.create(tmp, List.of("<s>", "</s>"), "<s>", "</s>", false,
                "{% for m in messages %}{{ m.content | shout }}{% endfor %}")) {
            TokenizerException e = assertThrows(TokenizerException.class, tok::jinjaChatTemplate);
            assertTrue(e.getMessage().startsWith(tmp.resolve("tokenizer_config.json").toAbsolutePath().toString())
                    || e.getMessage().contains("tokenizer_config.json"), e.getMessage());
            assertTrue(e.getMessage().contains("chat_template cannot be used: the template uses the filter 'shout'"), e.getMessage());
        }
    }

    @Test
    void aTokenizerWithoutTemplateSaysSo(@TempDir Path tmp) {
        try (Tokenizer tok = ChatTokenizers.create(tmp, List.of("<s>", "</s>"), "<s>", "</s>", false, null)) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> tok.applyChatTemplate(List.of(), true));
            assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
        }
    }

    @Test
    void chatTemplateJinjaFileTakesPriority(@TempDir Path tmp) throws Exception {
        try (Tokenizer ignored = ChatTokenizers.create(tmp, List.of("<s>", "</s>"), "<s>", "</s>", false, "from config")) {
            java.nio.file.Files.writeString(tmp.resolve("chat_template.jinja"), "{{ bos_token }}from file\n");
        }
        try (Tokenizer tok = Tokenizer.load(tmp)) {
            assertEquals("<s>from file", tok.applyChatTemplate(List.of(), false));
            assertEquals(tmp.resolve("chat_template.jinja"), tok.jinjaChatTemplate().file());
        }
    }

    private static Map<String, Object> orderedMap(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
