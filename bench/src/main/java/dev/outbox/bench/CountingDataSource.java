package dev.outbox.bench;

import dev.outbox.testkit.ForwardingDataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Counts, at the JDBC level, the statements executed and the transactions ended through a data
 * source: what the relay asks of the server (a driver may add round trips of its own, which only
 * the server sees).
 */
final class CountingDataSource extends ForwardingDataSource {

    final LongAdder statements = new LongAdder();
    final LongAdder commits = new LongAdder();
    final LongAdder borrows = new LongAdder();

    CountingDataSource(DataSource target) {
        super(target);
    }

    void resetCounts() {
        statements.reset();
        commits.reset();
        borrows.reset();
    }

    @Override
    public Connection getConnection() throws SQLException {
        borrows.increment();
        return wrap(super.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        borrows.increment();
        return wrap(super.getConnection(username, password));
    }

    private Connection wrap(Connection connection) {
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("commit") || name.equals("rollback")) {
                        commits.increment();
                    }
                    if (name.equals("unwrap") && args != null && args[0] == Connection.class) {
                        return proxy;
                    }
                    Object result = invoke(connection, method, args);
                    if (result instanceof Statement statement) {
                        return wrapStatement(statement, method.getReturnType());
                    }
                    return result;
                });
    }

    private Object wrapStatement(Statement statement, Class<?> type) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().startsWith("execute")) {
                statements.increment();
            }
            return invoke(statement, method, args);
        };
        return Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
