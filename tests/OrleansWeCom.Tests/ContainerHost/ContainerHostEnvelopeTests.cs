using OrleansWeCom.ContainerHost;
using OrleansWeCom.ContainerHost.Api;
using static OrleansWeCom.Tests.ContainerHost.ContainerHostTestServices;

namespace OrleansWeCom.Tests.ContainerHost;

public sealed class ContainerHostEnvelopeTests
{
    [Theory]
    [InlineData("""{"msg":"wxId not online","code":-1,"data":null}""", -1, "wxId not online", false)]
    [InlineData("""{"Msg":"too fast","Code":-1000999}""", -1000999, "too fast", true)]
    [InlineData("""{"code":"500","msg":"","data":{"msgId":"x"}}""", 500, null, false)]
    public async Task Envelope_code_other_than_0_becomes_ContainerHostException_and_is_not_retried(string body, int code, string? msg, bool transient)
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("msg/text", new StubResponse(200, body));
        stub.On("container/start", new StubResponse(200, body));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));
        var api = services.Registry().Get("a");

        var send = await Assert.ThrowsAsync<ContainerHostException>(() =>
            api.SendTextAsync(new TextMessage { WxId = "1", ConversationId = "S:1_2", Content = "c" }));
        var start = await Assert.ThrowsAsync<ContainerHostException>(() => api.StartContainerAsync(HostNamesRequest.Of("h")));

        foreach (var error in new[] { send, start })
        {
            Assert.Equal(ContainerHostErrorKind.HostError, error.Kind);
            Assert.Equal(code, error.Code);
            Assert.Equal(msg, error.Msg);
            Assert.Equal(System.Net.HttpStatusCode.OK, error.HttpStatus);
            Assert.Equal(transient, error.IsTransient);
        }

        Assert.Equal(1, stub.Count("msg/text"));
        Assert.Equal(1, stub.Count("container/start"));
    }

    [Theory]
    [InlineData("<html>gateway</html>")]
    [InlineData("""{"data":[]}""")]
    [InlineData("")]
    public async Task An_answer_without_the_envelope_is_an_invalid_response(string body)
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("inner/user/list", new StubResponse(200, body));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var error = await Assert.ThrowsAsync<ContainerHostException>(() => services.Registry().Get("a").GetHostUsersAsync());

        Assert.Equal(ContainerHostErrorKind.InvalidResponse, error.Kind);
    }

    [Fact]
    public async Task Data_that_does_not_fit_the_dto_is_an_invalid_response()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("group/list", StubResponse.Ok("""{"not":"a list"}"""));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var error = await Assert.ThrowsAsync<ContainerHostException>(() => services.Registry().Get("a").GetGroupsAsync("1688"));

        Assert.Equal(ContainerHostErrorKind.InvalidResponse, error.Kind);
        Assert.Equal("a", error.HostName);
    }

    [Fact]
    public async Task Apikey_header_and_the_open_path_are_sent_to_each_host()
    {
        await using var one = await StubContainerHost.StartAsync();
        await using var two = await StubContainerHost.StartAsync();
        await using var services = Build(hosts: [HostAt("one", one.BaseUrl), HostAt("two", two.BaseUrl + "/gnapi/open/")]);

        await services.Registry().Get("one").GetHostUsersAsync();
        await services.Registry().Get("two").GetHostUsersAsync();

        Assert.Equal("key-one", one.Last("inner/user/list").ApiKey);
        Assert.Equal("key-two", two.Last("inner/user/list").ApiKey);
    }

    [Fact]
    public async Task Data_is_read_tolerantly_from_the_seed_example()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("inner/user/wx/list", StubResponse.Ok("""
            [{"hostname":"PC-20200805GOPM","wxId":"1688850407900545","userId":"internal-6","username":"xxx","nickname":"",
              "corp_id":1970325057080574,"corp_name":"","mobile":"18222222222","position":"","corp_short_name":"光年实验室",
              "job_name":"","account":"","acctid":"XiedaFeng","status":"4","qrcode":"http://q/1.jpg"}]
            """));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var response = await services.Registry().Get("a").GetWeComAccountsAsync("apps-1", isOnline: false, hostNames: ["h1", "h2"]);

        var account = Assert.Single(response.Data!);
        Assert.Equal("1688850407900545", account.WxId);
        Assert.Equal("1970325057080574", account.CorpId);
        Assert.Equal("光年实验室", account.CorpShortName);
        Assert.Equal(4, account.Status);
        Assert.Equal("http://q/1.jpg", account.QrCode);
        var query = stub.Last("inner/user/wx/list").Query;
        Assert.Contains("userId=apps-1", query);
        Assert.Contains("IsOnline=false", query);
        Assert.Contains("HostName=h1", query);
        Assert.Contains("HostName=h2", query);
    }
}
