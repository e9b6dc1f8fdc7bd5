package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StorableTextTest {

    @Test
    void plainTextAndPairedSurrogatesAreStorable() {
        assertThat(StorableText.problem("busybox")).isNull();
        assertThat(StorableText.problem("")).isNull();
        assertThat(StorableText.problem("smile \ud83d\ude00 é")).isNull();
    }

    @Test
    void aNulCharacterIsNotStorableButIsValidUtf8() {
        assertThat(StorableText.problem("a\u0000b")).contains("NUL");
        assertThat(StorableText.encodingProblem("a\u0000b")).isNull();
    }

    @Test
    void anUnpairedSurrogateIsNeitherStorableNorUtf8() {
        for (String lone : new String[] {"\ud800", "x\udc00", "\ud83d", "\ude00\ud83d", "\ud800\ud800"}) {
            assertThat(StorableText.problem(lone)).as(lone).contains("unpaired surrogate");
            assertThat(StorableText.encodingProblem(lone)).as(lone).contains("unpaired surrogate");
        }
    }
}
