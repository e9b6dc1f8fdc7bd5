package dev.coderun.gateway;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * For *IT tests: a fresh database on the local PostgreSQL server ({@code 127.0.0.1:5432}, user and password from
 * {@code CODERUN_DB_USER} / {@code CODERUN_DB_PASSWORD}, default coderun/coderun), migrated with the gateway's own
 * Flyway migrations, and dropped when the test JVM ends.
 */
public final class TestDatabase {

    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    public static final String USER = System.getenv().getOrDefault("CODERUN_DB_USER", "coderun");
    public static final String PASSWORD = System.getenv().getOrDefault("CODERUN_DB_PASSWORD", "coderun");

    private final String name;

    private TestDatabase(String name) {
        this.name = name;
    }

    /** Creates and migrates {@code <prefix>_<random>}. */
    public static TestDatabase create(String prefix) {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        execute("create database " + name);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> execute("drop database if exists " + name
                + " with (force)"), "drop-" + name));
        TestDatabase database = new TestDatabase(name);
        Flyway.configure().dataSource(database.jdbcUrl(), USER, PASSWORD).load().migrate();
        return database;
    }

    public String jdbcUrl() {
        return SERVER + name;
    }

    public String r2dbcUrl() {
        return "r2dbc:postgresql://127.0.0.1:5432/" + name;
    }

    /** An R2DBC client of this database, a connection per use (no pool). */
    public DatabaseClient r2dbc() {
        return DatabaseClient.create(ConnectionFactories.get(ConnectionFactoryOptions.parse(r2dbcUrl()).mutate()
                .option(ConnectionFactoryOptions.USER, USER)
                .option(ConnectionFactoryOptions.PASSWORD, PASSWORD)
                .build()));
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
    }

    private static void execute(String statement) {
        try (Connection server = DriverManager.getConnection(SERVER + "postgres", USER, PASSWORD);
                var sql = server.createStatement()) {
            sql.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(statement + " failed on " + SERVER, e);
        }
    }
}
