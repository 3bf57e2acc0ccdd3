using System.Text.Json.Nodes;
using OrleansWeCom.ContainerHost.Api;
using static OrleansWeCom.Tests.ContainerHost.ContainerHostTestServices;

namespace OrleansWeCom.Tests.ContainerHost;

/// <summary>Each body as the stub host receives it, against the seed's request example (names and casing exact).</summary>
public sealed class ContainerHostSerializationTests
{
    private const string W = "168885435526XXXX";
    private const string C = "S:168885435526XXXX_788130083907XXXX";

    private const string MsgData = """{"msgId":"ed1ba6c2-bbe1-4ec9-acd9-019533bb5b93","hostname":"62a1263f977c","errcode":0,"errmsg":"ok"}""";

    private sealed record Case(string Path, Func<IContainerHostApi, Task<string?>> Call, string Json, string Data = MsgData);

    private static async Task<string?> MsgId(Task<HostResponse<SendResult>> send) => (await send).Data?.MsgId;

    private static async Task<string?> NoData(Task<HostResponse> call) => (await call).Code.ToString();

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["text"] = new("msg/text", api => MsgId(api.SendTextAsync(new() { WxId = W, ConversationId = C, Content = "你真的是又美又仙啊" })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","content":"你真的是又美又仙啊"}"""),
        ["roomAt"] = new("msg/roomAt", api => MsgId(api.SendRoomAtAsync(new() { WxId = W, ConversationId = "R:11111111111", Content = "你好,世界{$@}", AtList = ["168877xxxxxx", "168866xxxxxx"] })),
            $$"""{"wxId":"{{W}}","conversationId":"R:11111111111","content":"你好,世界{$@}","atList":["168877xxxxxx","168866xxxxxx"]}"""),
        ["image"] = new("msg/image", api => MsgId(api.SendImageAsync(File("a.jpg"))), FileJson("a.jpg")),
        ["file"] = new("msg/file", api => MsgId(api.SendFileAsync(File("a.csv"))), FileJson("a.csv")),
        ["gif"] = new("msg/gif", api => MsgId(api.SendGifAsync(File("a.gif"))), FileJson("a.gif")),
        ["video"] = new("msg/video", api => MsgId(api.SendVideoAsync(File("a.mp4"))), FileJson("a.mp4")),
        ["voice"] = new("msg/voice", api => MsgId(api.SendVoiceAsync(File("a.aac"))), FileJson("a.aac")),
        ["personCard"] = new("msg/personCard", api => MsgId(api.SendPersonCardAsync(new() { WxId = W, ConversationId = C, PersonCardUserId = "788130132420XXXX", NickName = "C奕", Avatar = "http://wx.qlogo.cn/0" })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","personCardUserId":"788130132420XXXX","nickname":"C奕","avatar":"http://wx.qlogo.cn/0"}"""),
        ["link"] = new("msg/link", api => MsgId(api.SendLinkAsync(new() { WxId = W, ConversationId = C, Title = "百度一下", Desc = "用科技让复杂的世界更简单!", Url = "https://www.baidu.com", ImageUrl = "http://www.xxx.com/xxx.jpg" })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","title":"百度一下","desc":"用科技让复杂的世界更简单!","url":"https://www.baidu.com","imageUrl":"http://www.xxx.com/xxx.jpg"}"""),
        ["link without optionals"] = new("msg/link", api => MsgId(api.SendLinkAsync(new() { WxId = W, ConversationId = C, Title = "t", Url = "https://u" })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","title":"t","url":"https://u"}"""),
        ["miniProgram"] = new("msg/miniProgram", api => MsgId(api.SendMiniProgramAsync(new()
            {
                WxId = W, ConversationId = C, UserName = "gh_72a4eb2d4324@app", AppId = "wx2c348cf579062e56", AppName = "美团外卖", AppIcon = "http://i/96",
                Title = "美团外卖,送啥都快", PagePath = "pages/index/index.html?from=from_share_index&", CoverPath = "/gnapi/files/Cache/c.png",
            })),
            $$"""
            {"wxId":"{{W}}","conversationId":"{{C}}","username":"gh_72a4eb2d4324@app","appid":"wx2c348cf579062e56","appname":"美团外卖",
             "appicon":"http://i/96","title":"美团外卖,送啥都快","page_path":"pages/index/index.html?from=from_share_index&","cover_path":"/gnapi/files/Cache/c.png"}
            """),
        ["videoNum"] = new("msg/videoNum", api => MsgId(api.SendVideoNumAsync(new()
            {
                WxId = W, ConversationId = C, CoverUrl = "http://c", Desc = "原声版", NickName = "唐瑜熙", ThumbUrl = "http://t", Url = "https://channels", Extras = "", Avatar = "http://a",
            })),
            $$"""
            {"wxId":"{{W}}","conversationId":"{{C}}","cover_url":"http://c","desc":"原声版","feed_type":4,"nickname":"唐瑜熙",
             "thumb_url":"http://t","url":"https://channels","extras":"","avatar":"http://a"}
            """),
        ["quote"] = new("msg/quote", api => MsgId(api.SendQuoteAsync(new() { WxId = W, ConversationId = C, Content = "我很好", ServerId = "1107070", Quote = "安坚实:\n你好吗?" })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","content":"我很好","serverId":"1107070","quote":"安坚实:\n你好吗?"}"""),
        ["miniProgram/send"] = new("miniProgram/send", api => MsgId(api.SendMiniProgramByIdAsync(new() { WxId = W, ConversationId = C, MiniProgramId = 7 })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","miniProgramId":7}"""),
        ["videonum/send"] = new("videonum/send", api => MsgId(api.SendVideoNumByIdAsync(new() { WxId = W, ConversationId = C, VideoNumId = 20 })),
            $$"""{"wxId":"{{W}}","conversationId":"{{C}}","videoNumId":20}"""),
        ["create"] = new("container/create", async api => (await api.CreateContainerAsync(new() { UserId = "apps-1" })).Data?.HostName,
            """{"userId":"apps-1"}"""),
        ["verify"] = new("container/verify", async api => (await api.VerifyContainerAsync(new() { HostName = "12341241", Key = "6E16C704", Code = "386317" })).Data?.ErrMsg,
            """{"hostname":"12341241","key":"6E16C704","code":"386317"}"""),
        ["stop"] = new("container/stop", api => NoData(api.StopContainerAsync(HostNamesRequest.Of("23fewerf23d"))), """{"hostname":["23fewerf23d"]}"""),
        ["batchmsg/confirm"] = new("batchmsg/confirm", api => NoData(api.ConfirmBatchMessageAsync(new() { WxId = W })), $$"""{"wxId":"{{W}}"}"""),
        ["contact/remove"] = new("contact/remove", api => NoData(api.RemoveContactAsync(new() { WxId = "168888", ContactUserId = "788xxxxxxxxx" })),
            """{"wxId":"168888","ContactUserId":"788xxxxxxxxx"}"""),
        ["contact/external/query"] = new("contact/external/query", async api => (await api.QueryExternalContactsAsync(new() { ContactInfos = [new() { WxId = W, ContactUserId = "788" }] })).Code.ToString(),
            $$"""{"ContactInfos":[{"WxId":"{{W}}","ContactUserId":"788"}]}""", "[]"),
        ["group/notice"] = new("group/notice", api => NoData(api.PublishGroupNoticeAsync(new() { WxId = W, ConversationId = "R:1", Content = "这是群公告" })),
            $$"""{"WxId":"{{W}}","ConversationId":"R:1","Content":"这是群公告"}"""),
        ["label/contact/search"] = new("label/contact/search", async api => (await api.SearchContactsByLabelAsync(new() { WxIds = ["xxx"], LabelIds = ["yyy"] })).Code.ToString(),
            """{"wxids":["xxx"],"labelIds":["yyy"],"PageIndex":1,"PageSize":100}""", "[]"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static FileMessage File(string name) => new() { FileUrl = "http://software.gnlab.com/quntool/files/" + name, WxId = W, ConversationId = C };

    private static string FileJson(string name) => $$"""{"fileUrl":"http://software.gnlab.com/quntool/files/{{name}}","wxId":"{{W}}","conversationId":"{{C}}"}""";

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Request_body_uses_the_seed_field_names(string caseName)
    {
        var testCase = Cases[caseName];
        await using var stub = await StubContainerHost.StartAsync();
        stub.On(testCase.Path, StubResponse.Ok(testCase.Data));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var result = await testCase.Call(services.Registry().Get("a"));

        Assert.NotNull(result);
        var received = stub.Last(testCase.Path);
        Assert.Equal(testCase.Path.StartsWith("group/member", StringComparison.Ordinal) ? "DELETE" : "POST", received.Method);
        Assert.StartsWith("application/json", received.ContentType);
        var expected = JsonNode.Parse(testCase.Json);
        var actual = JsonNode.Parse(received.Body);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
        if (testCase.Path.StartsWith("msg/", StringComparison.Ordinal) || testCase.Path.EndsWith("/send", StringComparison.Ordinal))
            Assert.Equal("ed1ba6c2-bbe1-4ec9-acd9-019533bb5b93", result);
    }

    [Theory]
    [InlineData("msg/text")]
    [InlineData("miniProgram/send")]
    public async Task Raw_send_posts_the_stored_body_to_its_seed_path_and_is_not_retried_after_a_5xx(string path)
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On(path, attempt => attempt == 1 ? StubResponse.Ok(MsgData) : StubResponse.Http(System.Net.HttpStatusCode.BadGateway));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));
        var api = services.Registry().Get("a");
        const string body = """{"wxId":"1","conversationId":"S:1_2","content":"x"}""";

        var response = await api.SendRawAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await Assert.ThrowsAsync<OrleansWeCom.ContainerHost.ContainerHostException>(() =>
            api.SendRawAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json")));

        Assert.Equal("ed1ba6c2-bbe1-4ec9-acd9-019533bb5b93", response.Data?.MsgId);
        Assert.Equal(body, stub.Last(path).Body);
        Assert.Equal(2, stub.Count(path));
    }

    [Fact]
    public async Task File_upload_is_multipart_with_a_file_field_and_returns_the_path()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("file/upload", StubResponse.Ok("\"/gnapi/Files/20211009/e0faf54d/发布群控.txt\""));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        using var content = new MemoryStream("hello"u8.ToArray());
        var response = await services.Registry().Get("a").UploadFileAsync(new Refit.StreamPart(content, "发布群控.txt", "text/plain"));

        Assert.Equal("/gnapi/Files/20211009/e0faf54d/发布群控.txt", response.Data);
        var received = stub.Last("file/upload");
        Assert.StartsWith("multipart/form-data", received.ContentType);
        Assert.Contains("name=file", received.Body.Replace("\"", ""));
        Assert.Contains("hello", received.Body);
    }
}
