package dev.outbox.testsupport.history;

import dev.outbox.testkit.history.CheckReport;
import dev.outbox.testkit.history.DatabaseState;
import dev.outbox.testkit.history.History;

/**
 * What a {@link HistoryRun} found.
 *
 * @param report the checker's verdict
 * @param summary the figures of the run
 * @param history the recordings
 * @param state the database at the end
 */
public record RunResult(CheckReport report, RunSummary summary, History history, DatabaseState state) {}
