package dev.coderun.gateway.api;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The refusals that happen before WebFlux sees a request, answered in the API's envelope with a request id instead
 * of the server's bare, empty 400/414/431:
 * <ul>
 *   <li>a request target that is no valid URI (a malformed percent-escape such as {@code ?limit=%zz}, a raw control
 *       character or space): WebFlux's Reactor adapter fails to build its request and answers 400 with no body, so
 *       such requests are routed here first; 422 {@code validation_failed} naming the path or the query;</li>
 *   <li>a Host header that makes no URI authority ({@code [::1}, {@code a b}), which Reactor Netty refuses with a
 *       bare 400: 422 {@code validation_failed} naming {@code Host};</li>
 *   <li>a request Netty's HTTP decoder rejects (a request line over the limit: 414 {@code uri_too_long}; headers over
 *       the limit: 431 {@code headers_too_large}; anything else malformed: 400 {@code malformed_request}); the
 *       connection is closed after the answer, as the decoder cannot resynchronise.</li>
 * </ul>
 */
@Component
class NettyRefusals implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory> {

    private static final String HANDLER = "coderun.decodingFailures";

    private final ApiErrorHandler errors;

    NettyRefusals(ApiErrorHandler errors) {
        this.errors = errors;
    }

    @Override
    public void customize(NettyReactiveWebServerFactory factory) {
        factory.addRouteProviders(routes -> routes.route(request -> badTarget(request.uri()) != null, this::refuse));
        factory.addServerCustomizers(server -> server.doOnChannelInit((observer, channel, address) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER, new DecodingFailures());
            }
        }));
    }

    /**
     * Which part of the request target ({@code path} or {@code query}) is no valid URI, as WebFlux parses it (the
     * target after {@code http://host:port}), or null when it is valid.
     */
    static String badTarget(String target) {
        String path = target;
        int scheme = target.indexOf("://");
        if (scheme > 0 && target.indexOf('/') > scheme) {
            int slash = target.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : target.substring(slash);
        }
        if (parses(path)) {
            return null;
        }
        int query = path.indexOf('?');
        return query >= 0 && parses(path.substring(0, query)) ? "query" : "path";
    }

    /**
     * A Host header ({@code host[:port]}) that makes no URI authority: Reactor Netty fails to parse it (or WebFlux to
     * build its URI) and answers a bare 400.
     */
    static boolean badHost(String hostHeader) {
        try {
            new URI("http://" + hostHeader + "/");
            return false;
        } catch (URISyntaxException e) {
            return true;
        }
    }

    private static boolean parses(String target) {
        try {
            new URI("http://localhost" + target);
            return true;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private Mono<Void> refuse(HttpServerRequest request, HttpServerResponse response) {
        String id = RequestIds.idFor(request.requestHeaders().get(RequestIds.HEADER));
        String part = badTarget(request.uri());
        ApiException error = ApiException.validation(FieldViolation.invalid(part, "is not a valid URI "
                + ("query".equals(part) ? "query string" : "path")
                + " (a malformed percent-escape, or a character that must be percent-encoded)"));
        byte[] body = errors.bodyOf(error, id);
        return response.status(error.status().value())
                .header(HttpHeaderNames.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE)
                .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(body.length))
                .header(RequestIds.HEADER, id)
                .sendByteArray(Mono.just(body))
                .then();
    }

    /**
     * Answers a request the HTTP decoder rejected, or one with a bad Host header, then closes; drops what the decoder
     * still passes on.
     */
    private final class DecodingFailures extends ChannelInboundHandlerAdapter {

        private boolean failed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (failed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            boolean decodingFailed = msg instanceof HttpObject http && http.decoderResult().isFailure();
            String host = msg instanceof HttpRequest request ? request.headers().get(HttpHeaderNames.HOST) : null;
            if (decodingFailed || host != null && badHost(host)) {
                failed = true;
                Throwable cause = ((HttpObject) msg).decoderResult().cause();
                String id = RequestIds.idFor(msg instanceof HttpRequest request
                        ? request.headers().get(RequestIds.HEADER) : null);
                ReferenceCountUtil.release(msg);
                ApiException error = !decodingFailed
                        ? ApiException.validation(FieldViolation.invalid("Host", "is not a valid host[:port]"))
                        : switch (cause) {
                    case TooLongHttpLineException e -> new ApiException(
                            HttpStatus.URI_TOO_LONG, "uri_too_long", "the request line is too long");
                    case TooLongHttpHeaderException e -> new ApiException(
                            HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
                            "the request headers are too large");
                    default -> new ApiException(HttpStatus.BAD_REQUEST, "malformed_request",
                            "the request is not valid HTTP/1.1");
                        };
                byte[] body = errors.bodyOf(error, id);
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.valueOf(error.status().value()), Unpooled.wrappedBuffer(body));
                response.headers()
                        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                        .set(RequestIds.HEADER, id);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
