using System.Globalization;
using System.Text;

namespace OrleansWeCom.Emulator.Core;

/// <summary>
/// The deterministic world behind the host: corps with their accounts, customers, rooms and labels.
/// Not thread-safe; <see cref="EmulatorState"/> guards it with its gate.
/// </summary>
internal sealed class World
{
    /// <summary>The corp id WeChat users carry, as the seed's notify_type_contact_add shows.</summary>
    public const string WeChatCorpId = "1970325134026788";

    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"];
    private static readonly string[] Given = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀", "霞", "平"];
    private static readonly string[] CorpNames = ["光年实验室", "星河科技", "云帆贸易", "青松教育", "海潮传媒", "远山物流", "晨曦健康", "北辰地产"];
    private static readonly string[] LabelNames = ["意向客户", "已成交", "房地产", "私域回答", "VIP", "待回访", "老客户", "活动报名", "高价值", "沉默用户"];

    private readonly Random _random;
    private readonly HashSet<string> _ids = [];
    private long _serverId = 1_047_000;

    public List<Corp> Corps { get; } = [];
    public Dictionary<string, Person> People { get; } = [];
    public Dictionary<string, Corp> CorpsById { get; } = [];
    /// <summary>Relations per account wxId, by contact id.</summary>
    public Dictionary<string, Dictionary<string, ContactRelation>> Relations { get; } = [];
    public Dictionary<string, Room> Rooms { get; } = [];
    public List<MiniProgram> MiniPrograms { get; } = [];
    public List<VideoNum> VideoNums { get; } = [];
    public List<HostUser> HostUsers { get; } = [];
    public List<FriendRequest> FriendRequests { get; } = [];
    /// <summary>Pending batch-message confirmations per account.</summary>
    public Dictionary<string, int> PendingBatchMessages { get; } = [];

    public World(EmulatorOptions options, DateTimeOffset now)
    {
        _random = new Random(options.Seed);
        var shape = options.World;
        var origin = now.AddDays(-400);
        for (var c = 0; c < Math.Max(1, shape.Corps); c++)
        {
            var name = CorpNames[c % CorpNames.Length] + (c >= CorpNames.Length ? (c / CorpNames.Length + 1).ToString(CultureInfo.InvariantCulture) : "");
            var corp = new Corp { CorpId = NewId("1970325", 16), OpenCorpId = "ww" + Hex(14), Name = name + "有限公司", ShortName = name };
            Corps.Add(corp);
            CorpsById[corp.CorpId] = corp;
            for (var a = 0; a < Math.Max(1, shape.AccountsPerCorp); a++)
            {
                corp.Accounts.Add(Add(NewCoworker(corp)));
            }

            for (var k = 0; k < shape.CustomersPerCorp; k++)
            {
                corp.Customers.Add(Add(NewCustomer()));
            }

            for (var l = 0; l < shape.LabelsPerCorp; l++)
            {
                corp.Labels.Add(new Label
                {
                    LabelId = NewId("1407374", 17),
                    GroupId = NewId("1407374", 17),
                    CorpId = corp.CorpId,
                    Name = LabelNames[l % LabelNames.Length] + (l >= LabelNames.Length ? l.ToString(CultureInfo.InvariantCulture) : ""),
                    LabelType = l % 3 == 0 ? 2 : 1,
                    SortOrder = l,
                    CreateTime = origin.AddDays(l).ToUnixTimeSeconds(),
                });
            }

            foreach (var account in corp.Accounts)
            {
                var relations = Relations[account.UserId] = [];
                foreach (var coworker in corp.Accounts.Where(p => p != account))
                {
                    relations[coworker.UserId] = new ContactRelation { ContactId = coworker.UserId, CreateTime = origin };
                }

                var picked = corp.Customers.OrderBy(_ => _random.Next()).Take(Math.Min(shape.ContactsPerAccount, corp.Customers.Count));
                foreach (var customer in picked)
                {
                    var relation = new ContactRelation
                    {
                        ContactId = customer.UserId,
                        CreateTime = origin.AddMinutes(_random.Next(0, 500_000)),
                        Phones = [customer.Mobile],
                        AddWay = _random.Next(0, 3),
                    };
                    if (corp.Labels.Count > 0 && _random.Next(2) == 0)
                    {
                        relation.LabelIds.Add(corp.Labels[_random.Next(corp.Labels.Count)].LabelId);
                    }

                    relations[customer.UserId] = relation;
                }
            }

            for (var r = 0; r < shape.RoomsPerCorp; r++)
            {
                var owner = corp.Accounts[r % corp.Accounts.Count];
                var members = new List<Person> { owner };
                members.AddRange(corp.Accounts.Where(p => p != owner).OrderBy(_ => _random.Next()).Take(Math.Min(2, corp.Accounts.Count - 1)));
                var internalOnly = r % 3 == 2;
                if (!internalOnly)
                {
                    members.AddRange(ExternalContacts(owner.UserId).OrderBy(_ => _random.Next()).Take(4));
                }

                var room = CreateRoom(corp.CorpId, owner.UserId, members.Skip(1).Select(m => m.UserId), origin.AddDays(r).ToUnixTimeSeconds());
                room.Name = internalOnly ? $"{corp.ShortName}内部群{r + 1}" : $"{corp.ShortName}客户群{r + 1}";
                if (members.Count > 2)
                {
                    room.Admins.Add(members[1].UserId);
                }
            }
        }

        MiniPrograms.Add(new MiniProgram(7, "gh_f13a9ccf230b@app", "wxa07672d4ed4d166a", "多好APP", "http://mmbiz.qpic.cn/mmbiz_png/duohao/640", "邀请你加入「多好」APP", "pages/home/home.html?r=vz9qNQYrle", "/gnapi/files/Cache/20230526/duohao/cover.png", 1));
        MiniPrograms.Add(new MiniProgram(8, "gh_7a080f2e543d@app", "wx8f98d076d3459dd6", "雪球基金", "http://mmbiz.qpic.cn/mmbiz_png/xueqiu/640", "点击查看小雪今天为你精挑细选的基金内容", "pages/fundIndex/public.html?sourceFrom=share", "/gnapi/files/Storage/20230612/xueqiu/cover.png", 0));
        VideoNums.Add(new VideoNum(20, "/gnapi/files/Storage/20230605/videonum/cover20", "远离境外高薪诱惑,防止网络诈骗#提高警惕", 4, "通仔99", "http://wxapp.tc.qq.com/251/20304/stodownload?encfilekey=thumb20", "https://channels.weixin.qq.com/web/pages/feed?eid=export%2F20", "CAEQACKdHQAE20", "http://wx.qlogo.cn/finderhead/ver_1/avatar20/0", 1));
        VideoNums.Add(new VideoNum(21, "/gnapi/files/Storage/20230605/videonum/cover21", "你们要的原声版来了#碰拳惊喜挑战", 4, "唐瑜熙", "http://wxapp.tc.qq.com/251/20304/stodownload?encfilekey=thumb21", "https://channels.weixin.qq.com/web/pages/feed?eid=export%2F21", "CAEQACKdHQAE21", "http://wx.qlogo.cn/finderhead/ver_1/avatar21/0", 0));

        for (var u = 1; u <= Math.Max(1, shape.HostUsers); u++)
        {
            HostUsers.Add(NewHostUser("apps-" + u.ToString(CultureInfo.InvariantCulture), origin.AddDays(u)));
        }
    }

    public IEnumerable<Person> Accounts => Corps.SelectMany(c => c.Accounts);

    public HostUser EnsureHostUser(string id, DateTimeOffset now)
    {
        var user = HostUsers.Find(u => u.Id == id);
        if (user is null)
        {
            user = NewHostUser(id, now);
            HostUsers.Add(user);
        }

        return user;
    }

    public string NextServerId() => (++_serverId).ToString(CultureInfo.InvariantCulture);

    public Person? Find(string userId) => People.GetValueOrDefault(userId);

    public Person? FindAccount(string wxId) => People.TryGetValue(wxId, out var p) && !p.IsCustomer ? p : null;

    public Corp CorpOf(Person account) => CorpsById[account.CorpId];

    public Dictionary<string, ContactRelation> RelationsOf(string wxId) =>
        Relations.TryGetValue(wxId, out var relations) ? relations : Relations[wxId] = [];

    public IEnumerable<Person> ExternalContacts(string wxId) =>
        RelationsOf(wxId).Values.Select(r => People[r.ContactId]).Where(p => p.IsCustomer);

    public IEnumerable<Person> InnerContacts(string wxId) =>
        RelationsOf(wxId).Values.Select(r => People[r.ContactId]).Where(p => !p.IsCustomer);

    /// <summary>The external user id a corp sees for a customer ("wm…"), stable for the pair.</summary>
    public static string ExternalUserId(string corpId, string customerId) => "wm" + Stable(corpId + "/" + customerId, 30);

    public static string SingleConversationId(string a, string b)
    {
        // The seed: the smaller id comes first.
        var aFirst = a.Length != b.Length ? a.Length < b.Length : string.CompareOrdinal(a, b) <= 0;
        return aFirst ? $"S:{a}_{b}" : $"S:{b}_{a}";
    }

    public Person NewCustomer(string? userId = null, string? name = null)
    {
        var id = userId ?? NewId("788130", 16);
        _ids.Add(id);
        var person = new Person
        {
            UserId = id,
            Kind = PersonKind.Customer,
            CorpId = WeChatCorpId,
            Name = name ?? NewName(),
            Avatar = $"http://wx.qlogo.cn/mmhead/{Stable(id, 24)}/0",
            Sex = _random.Next(1, 3),
            Mobile = "13" + Digits(9),
            UnionId = "ozynqs" + Stable("union" + id, 22),
        };
        return person;
    }

    public Person Add(Person person)
    {
        People[person.UserId] = person;
        return person;
    }

    public Room CreateRoom(string corpId, string ownerId, IEnumerable<string> memberIds, long createTime)
    {
        var roomId = NewId("108", 17);
        var room = new Room
        {
            RoomId = roomId,
            ExternalRoomId = "wr" + Stable(corpId + "/" + roomId, 30),
            CorpId = corpId,
            OwnerId = ownerId,
            CreateTime = createTime,
        };
        room.Members.Add(new RoomMember { UserId = ownerId, InviteUserId = ownerId, JoinTime = createTime });
        foreach (var member in memberIds.Distinct().Where(m => m != ownerId))
        {
            room.Members.Add(new RoomMember { UserId = member, InviteUserId = ownerId, JoinTime = createTime });
        }

        Rooms[roomId] = room;
        return room;
    }

    public Room? FindRoom(string conversationOrRoomId)
    {
        var id = conversationOrRoomId.StartsWith("R:", StringComparison.OrdinalIgnoreCase) ? conversationOrRoomId[2..] : conversationOrRoomId;
        return Rooms.GetValueOrDefault(id);
    }

    public string RoomDisplayName(Room room) =>
        room.Name.Length > 0 ? room.Name : string.Join("、", room.Members.Take(3).Select(m => Find(m.UserId)?.Name ?? m.UserId));

    public string NewVerifyCode() => _random.Next(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    public string Hex(int length)
    {
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append("0123456789abcdef"[_random.Next(16)]);
        }

        return builder.ToString();
    }

    public int NextInt(int min, int max) => _random.Next(min, max);

    private Person NewCoworker(Corp corp)
    {
        var id = NewId("1688850", 16);
        var name = NewName();
        var acctid = "u" + id[^6..];
        return new Person
        {
            UserId = id,
            Kind = PersonKind.Coworker,
            CorpId = corp.CorpId,
            Name = name,
            RealName = name,
            Avatar = $"https://wework.qpic.cn/wwpic/{Stable(id, 20)}/0",
            Sex = _random.Next(1, 3),
            Mobile = "18" + Digits(9),
            Position = "客户经理",
            JobName = "销售",
            Acctid = acctid,
            Email = "",
            UnionId = "ozynqs" + Stable("union" + id, 22),
            Pid = _random.Next(2000, 60000),
        };
    }

    private HostUser NewHostUser(string id, DateTimeOffset created) =>
        new(id, NewName(), created.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), "18" + Digits(9), null, [2], id == "apps-1", "");

    private string NewName() => Surnames[_random.Next(Surnames.Length)] + Given[_random.Next(Given.Length)] + (_random.Next(2) == 0 ? Given[_random.Next(Given.Length)] : "");

    private string NewId(string prefix, int length)
    {
        while (true)
        {
            var id = prefix + Digits(length - prefix.Length);
            if (_ids.Add(id))
            {
                return id;
            }
        }
    }

    private string Digits(int count)
    {
        var builder = new StringBuilder(count);
        for (var i = 0; i < count; i++)
        {
            builder.Append((char)('0' + _random.Next(10)));
        }

        return builder.ToString();
    }

    /// <summary>A stable token derived from text, so derived ids do not depend on generation order.</summary>
    private static string Stable(string text, int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var builder = new StringBuilder(length);
        var seed = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            seed = (seed ^ b) * 1099511628211UL;
        }

        while (builder.Length < length)
        {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            builder.Append(alphabet[(int)(seed >> 58)]);
        }

        return builder.ToString();
    }
}
