package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which request targets WebFlux could not turn into a URI, and so are refused before it in the envelope. */
class NettyRefusalsTest {

    @Test
    void validTargetsPass() {
        assertThat(NettyRefusals.badTarget("/v2/handles/h/code-runs?limit=10&status=QUEUED")).isNull();
        assertThat(NettyRefusals.badTarget("/v2/handles/h%00/x?cursor=%C0%AF")).isNull();
        assertThat(NettyRefusals.badTarget("http://example.com/v2/x?y=1")).isNull();
    }

    @Test
    void aMalformedEscapeInTheQueryIsTheQuerys() {
        assertThat(NettyRefusals.badTarget("/v2/handles/h/code-runs?limit=%zz")).isEqualTo("query");
        assertThat(NettyRefusals.badTarget("/v2/handles/h/code-runs?status=%")).isEqualTo("query");
        assertThat(NettyRefusals.badTarget("/x?a=b c")).isEqualTo("query");
    }

    @Test
    void aMalformedEscapeOrRawCharacterInThePathIsThePaths() {
        assertThat(NettyRefusals.badTarget("/v2/handles/%zz/code-runs?limit=10")).isEqualTo("path");
        assertThat(NettyRefusals.badTarget("/v2/handles/a\u0000b")).isEqualTo("path");
        assertThat(NettyRefusals.badTarget("/v2/handles/a|b")).isEqualTo("path");
    }

    @Test
    void aHostThatMakesNoAuthorityIsBad() {
        assertThat(NettyRefusals.badHost("127.0.0.1:8080")).isFalse();
        assertThat(NettyRefusals.badHost("gateway.example.com")).isFalse();
        assertThat(NettyRefusals.badHost("[::1]:8080")).isFalse();
        assertThat(NettyRefusals.badHost("")).isFalse();
        assertThat(NettyRefusals.badHost("[::1")).isTrue();
        assertThat(NettyRefusals.badHost("a b")).isTrue();
        assertThat(NettyRefusals.badHost("exa%mple:99")).isTrue();
    }
}
