package dev.outbox.internal;

import java.io.PrintWriter;
import java.io.StringWriter;

/** How failures are written into the tables: bounded text, a description, the head of a stack trace. */
final class ErrorText {

    /** Longest error message and stack head stored, in characters. */
    static final int MAX_TEXT = 4000;

    private static final int STACK_FRAMES = 12;

    private ErrorText() {}

    /** Class and message, as the status shows an error. */
    static String describe(Throwable failure) {
        return truncate(failure.getClass().getName() + ": " + failure.getMessage());
    }

    static String truncate(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT - 3) + "...";
    }

    /** The first frames of the stack trace, with the first line of each cause. */
    static String stackHead(Throwable failure) {
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                out.println((t == failure ? "" : "Caused by: ") + t);
                StackTraceElement[] frames = t.getStackTrace();
                for (int i = 0; i < Math.min(STACK_FRAMES, frames.length); i++) {
                    out.println("\tat " + frames[i]);
                }
                if (t.getCause() == t) {
                    break;
                }
            }
        }
        return truncate(text.toString());
    }
}
