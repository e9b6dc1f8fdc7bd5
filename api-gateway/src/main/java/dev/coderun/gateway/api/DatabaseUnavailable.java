package dev.coderun.gateway.api;

import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * The one test for "PostgreSQL cannot be reached or did not answer", as opposed to a query it refused: the HTTP API
 * answers it with 503 {@code upstream_unavailable}, the projector waits it out.
 */
public final class DatabaseUnavailable {

    /**
     * Any of these anywhere in the cause chain: the driver's resource errors, Spring's translation of them, a
     * transaction that could not get a connection, a broken or refused connection, a query or write that timed out.
     */
    private static final List<Class<? extends Throwable>> SIGNS = List.of(
            R2dbcNonTransientResourceException.class,
            R2dbcTransientResourceException.class,
            R2dbcTimeoutException.class,
            DataAccessResourceFailureException.class,
            TransientDataAccessResourceException.class,
            QueryTimeoutException.class,
            CannotCreateTransactionException.class,
            IOException.class,
            TimeoutException.class);

    private DatabaseUnavailable() {}

    public static boolean anywhereIn(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (Class<? extends Throwable> sign : SIGNS) {
                if (sign.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }
}
