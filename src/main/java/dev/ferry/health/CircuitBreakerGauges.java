package dev.ferry.health;

import dev.ferry.Pipeline;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.component.resilience4j.ResilienceProcessor;

import java.util.Optional;
import java.util.Set;

/**
 * {@code ferry_circuit_breaker_open{pipeline, name}}: 1 while a route's Resilience4j circuit breaker (Camel's
 * {@code circuitBreaker} EIP; {@code name} is its id) is OPEN or FORCED_OPEN, i.e. refuses every call; 0 when CLOSED
 * or HALF_OPEN (trial calls go through). Read from Camel's processor when scraped, found by route and id each time,
 * so a route reload is followed. Not camel-resilience4j-micrometer: it pulls a clashing micrometer-observation.
 */
public final class CircuitBreakerGauges {

    private static final Set<String> REFUSING = Set.of("OPEN", "FORCED_OPEN");

    private CircuitBreakerGauges() {
    }

    /** One gauge per circuit breaker in the routes of a pipeline, as the routes stand now (call once started). */
    public static void register(CamelContext context, MeterRegistry registry) {
        for (Route route : context.getRoutes()) {
            Optional<Pipeline> pipeline = Pipeline.ofRouteId(route.getRouteId());
            if (pipeline.isEmpty()) {
                continue;
            }
            for (Processor processor : route.filter("*")) {
                if (processor instanceof ResilienceProcessor breaker) {
                    String routeId = route.getRouteId();
                    String id = breaker.getId();
                    Gauge.builder("ferry.circuit_breaker.open", () -> open(context, routeId, id))
                            .description("1 while the circuit breaker refuses calls (OPEN, FORCED_OPEN), 0 otherwise")
                            .tag("pipeline", pipeline.get().id()).tag("name", id)
                            .register(registry);
                }
            }
        }
    }

    static double open(CamelContext context, String routeId, String id) {
        Route route = context.getRoute(routeId);
        if (route != null) {
            for (Processor processor : route.filter(id)) {
                if (processor instanceof ResilienceProcessor breaker && id.equals(breaker.getId())) {
                    return REFUSING.contains(String.valueOf(breaker.getCircuitBreakerState())) ? 1 : 0;
                }
            }
        }
        return Double.NaN; // route removed: no value rather than a false "closed"
    }
}
