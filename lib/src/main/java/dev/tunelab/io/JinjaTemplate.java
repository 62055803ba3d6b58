package dev.tunelab.io;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Jinja2 template rendered the way transformers renders chat templates
 * ({@code render_jinja_template} in transformers/utils/chat_template_utils.py), on jinjava.
 *
 * <p>transformers uses Python's Jinja2 with {@code trim_blocks}, {@code lstrip_blocks}, the
 * {@code loopcontrols} extension ({@code break}, {@code continue}), and the globals
 * {@code raise_exception(message)} and {@code strftime_now(format)} and its own {@code tojson}
 * filter. jinjava is a Jinja dialect for Java; where it differs from Jinja2, this class makes it
 * behave like Jinja2 on what chat templates use:
 * <ul>
 *   <li>whitespace (trim/lstrip blocks, {@code -} markers, comments, the last newline): done by
 *       {@link JinjaSource} before jinjava parses the template;
 *   <li>{@code not x is defined} means {@code not (x is defined)} (jinjava's natural precedence);
 *   <li>strings have Python's methods ({@code .strip()}, {@code .startswith()}, ...) and Python's
 *       indexing ({@code s[-1]}), dicts have {@code .get(key, default)} ({@link PythonMethods});
 *   <li>printed values are Python's {@code str()}: {@code True}, {@code ['a', 1]};
 *   <li>{@code tojson} is {@code json.dumps} with transformers' arguments, {@code trim} and
 *       {@code string} follow Python, {@code items} exists, strings are {@code iterable};
 *   <li>printed text is never rendered again (jinjava's nested interpretation is off), so a
 *       message containing {@code {{ }}} prints as written;
 *   <li>{@code raise_exception}, an unknown filter, test or function, or any error jinjava records
 *       fails the render with a {@link JinjaException} naming it (jinjava would print nothing and go on).
 * </ul>
 * Not supported (they fail with a clear error, none is used by the chat templates of the common
 * model families): {@code {% filter %}} blocks, string repetition {@code 'a' * 3},
 * {@code loop.previtem}/{@code nextitem}. Unlike Jinja2, an undefined variable and one set to
 * None are the same here (both print nothing and are not {@code defined}).
 */
final class JinjaTemplate {

    /** A template that does not compile or render; the message says what and where. */
    static final class JinjaException extends RuntimeException {
        JinjaException(String message) {
            super(message);
        }
    }

    /** What {@code raise_exception(message)} throws; its message is the template's own. */
    static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message);
        }
    }

    private final Jinjava jinjava;
    private final JinjaSource.Translated source;

    private JinjaTemplate(Jinjava jinjava, JinjaSource.Translated source) {
        this.jinjava = jinjava;
        this.source = source;
    }

    /**
     * Compiles {@code template}; {@code strftime_now} reads {@code clock} (its time zone too, as
     * Python's datetime.now() reads the local one).
     *
     * @throws JinjaException for a syntax error, or a filter or test that does not exist
     */
    static JinjaTemplate compile(String template, Clock clock) {
        Objects.requireNonNull(template, "template");
        JinjaSource.Translated t;
        try {
            t = JinjaSource.translate(template);
        } catch (JinjaSource.SyntaxError | PythonStrings.PythonError e) {
            throw new JinjaException("syntax error: " + e.getMessage());
        }
        Jinjava jinjava = engine(clock);
        Context globals = jinjava.getGlobalContext();
        for (String f : t.filters()) {
            if (globals.getFilter(f) == null) {
                throw new JinjaException("the template uses the filter '" + f + "', which the Jinja engine (jinjava) does not have");
            }
        }
        for (String test : t.tests()) {
            if (globals.getExpTest(test) == null) {
                throw new JinjaException("the template uses the test '" + test + "', which the Jinja engine (jinjava) does not have");
            }
        }
        // the statement structure (end tags, known tags) is checked now; expressions when they run
        JinjavaInterpreter parser = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(parser);
        try {
            parser.parse(t.jinjava());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        for (TemplateError e : parser.getErrorsCopy()) {
            if (isFailure(e)) {
                throw new JinjaException(describe(e));
            }
        }
        return new JinjaTemplate(jinjava, t);
    }

    /**
     * Renders with {@code variables} (Java maps, lists, strings, numbers, booleans, nulls).
     *
     * @throws JinjaException when the template raises, calls something that does not exist, or
     *     anything else goes wrong: the message says what
     */
    String render(Map<String, ?> variables) {
        RenderResult result = jinjava.renderForResult(source.jinjava(), variables);
        for (TemplateError e : result.getErrors()) {
            if (isFailure(e)) {
                throw new JinjaException(describe(e));
            }
        }
        return result.getOutput();
    }

    // An unknown attribute is Jinja2's Undefined (prints nothing); anything else is a failure.
    private static boolean isFailure(TemplateError e) {
        return e.getSeverity() == TemplateError.ErrorType.FATAL
                || e.getReason() != TemplateError.ErrorReason.UNKNOWN || e.getItem() != TemplateError.ErrorItem.PROPERTY;
    }

    private static String describe(TemplateError e) {
        for (Throwable c = e.getException(); c != null; c = c.getCause()) {
            if (c instanceof RaisedException) {
                return "the template raised an exception: " + c.getMessage();
            }
        }
        String where = e.getFieldName() == null || e.getFieldName().isEmpty() ? "" : " (in '" + e.getFieldName() + "')";
        return e.getMessage() + where;
    }

    private static Jinjava engine(Clock clock) {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false) // JinjaSource did trim_blocks, lstrip_blocks and the "-" markers
                .withLstripBlocks(false)
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withUsePyishObjectMapper(true)
                        .withParseWhitespaceControlStrictly(true) // "{{ -1 }}" is minus one, not a trim marker
                        .build())
                .withInterperterFactory(new PythonJinjava.PythonInterpreterFactory())
                .withElResolver(new CompositeELResolver() {
                    {
                        add(new PythonJinjava.PythonMethods());
                        add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
                    }
                })
                .withDateTimeProvider(clock::millis)
                .withTimeZone(clock.getZone())
                .build();
        Jinjava jinjava = new Jinjava(config);
        PythonJinjava.install(jinjava.getGlobalContext());
        return jinjava;
    }
}
