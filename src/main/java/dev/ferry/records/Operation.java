package dev.ferry.records;

import org.apache.camel.Exchange;

/** One transform operation, compiled once; applied to each record of a batch with a scratch exchange. */
@FunctionalInterface
interface Operation {

    Outcome apply(Record record, Exchange scratch);
}
