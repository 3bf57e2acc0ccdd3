using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>What the parser fuzzing found: text that is not text is refused as bad input, never thrown onwards.</summary>
public sealed class FuzzFindingsTests
{
    private const string W = "1688854355260001";

    // {"wxId":"<invalid UTF-8>", …} and a string escaping half a surrogate pair.
    public static TheoryData<byte[]> NotText => new()
    {
        Encoding.UTF8.GetBytes($"{{\"wxId\":\"{W}\",\"conversationId\":\"S:{W}_7881300839070001\",\"content\":\"").Concat(new byte[] { 0xc3, 0x28, 0xff }).Concat("\"}"u8.ToArray()).ToArray(),
        Encoding.UTF8.GetBytes($"{{\"wxId\":\"{W}\",\"conversationId\":\"S:{W}_7881300839070001\",\"content\":\"a\\ud800\"}}"),
    };

    [Theory]
    [MemberData(nameof(NotText))]
    public void The_send_parser_refuses_strings_that_are_not_text_with_400(byte[] body)
    {
        var error = Assert.Throws<WeComException>(() => SendRequestParser.Parse(SendKind.Text, SendRequestParser.ParseObject(body)));
        Assert.Equal(ErrorCodes.BadRequest, error.Code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_callback_parser_refuses_strings_that_are_not_text(bool escapedHalfSurrogate)
    {
        // The text sits in msgId, which the parser reads as a string.
        byte[] text = escapedHalfSurrogate ? "a\\ud800"u8.ToArray() : [0xc3, 0x28, 0xff];
        var tail = Encoding.UTF8.GetBytes($"\",\"source\":\"h1\",\"wxid\":\"{W}\",\"type\":\"text_msg\",\"data\":{{}}}}");
        var body = "{\"msgId\":\""u8.ToArray().Concat(text).Concat(tail).ToArray();
        Assert.False(CallbackParser.TryParse(body, out _, out var error));
        Assert.Contains(escapedHalfSurrogate ? "malformed" : "UTF-8", error);
    }

    [Fact]
    public async Task A_send_whose_content_is_not_text_answers_400_not_500()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);
        foreach (var body in NotText)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await tenant.PostAsync("/gnapi/open/msg/text", content);
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {error}");
        }
    }
}
