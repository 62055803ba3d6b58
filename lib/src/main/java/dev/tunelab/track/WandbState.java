package dev.tunelab.track;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the W&amp;B sender stands in a run's journal ({@code wandb/state.json}): how many journal
 * records the server has acknowledged, the next file_stream line offsets, uploaded files not yet
 * reported, and the server's names for the run. Public fields for Jackson; package use only.
 */
final class WandbState {
    /** Journal records fully handled (acknowledged, or dropped by a final error). */
    public long records;
    /** Next line offset of wandb-history.jsonl. */
    public long history;
    /** Next line offset of output.log. */
    public long console;
    /** History chunks the server refused with a final error (reported as "dropped"). */
    public long dropped;
    /** Uploaded run files not yet listed in a file_stream "uploaded". */
    public List<String> uploaded = new ArrayList<>();
    /** Run files already uploaded (a replay skips them). */
    public List<String> stored = new ArrayList<>();
    public boolean complete;
    public String entity;
    public String project;
    public String run;
}
