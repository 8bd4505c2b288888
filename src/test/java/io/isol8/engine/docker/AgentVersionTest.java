package io.isol8.engine.docker;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which agents run programs on terminals: 1.2.0 and later (docs/agent-protocol.md). */
class AgentVersionTest {
    @Test
    void terminalsNeedAgent12OrLater() {
        assertTrue(AgentChannel.versionAtLeast("1.2.0", 1, 2));
        assertTrue(AgentChannel.versionAtLeast("1.10", 1, 2));
        assertTrue(AgentChannel.versionAtLeast("2.0.0", 1, 2));
        assertFalse(AgentChannel.versionAtLeast("1.1.0", 1, 2));
        assertFalse(AgentChannel.versionAtLeast("0.9.9", 1, 2));
        assertFalse(AgentChannel.versionAtLeast("dev", 1, 2));
    }

    @Test
    void aChannelThatNeverSaidHelloHasNoTerminals() {
        assertFalse(AgentChannel.gone("c".repeat(64)).terminals());
    }
}
