package dev.outbox.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code outbox --version}: the jar's Implementation-Version. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = OutboxCli.class.getPackage().getImplementationVersion();
        return new String[] {"outbox " + (version == null ? "(development build)" : version)};
    }
}
