package dev.tunelab.data;

import java.util.Map;

/**
 * One row of a {@link Dataset}. {@link #text()} is what de-duplication, length filters and
 * splits look at; {@link #columns()} is what a table shows.
 */
public interface Example {

    /** The whole example as one string (all of its text fields). */
    String text();

    /** The example's fields by name, in display order. */
    Map<String, String> columns();
}
