"""The dataset topics each demo department publishes: title patterns (Chinese and English), tags, formats, fields.

Titles may hold {year}, {district} and {district_en}; tags and fields are separated by 、 as Chinese portals write them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each one is a singleton
class Topic:
    """One kind of dataset a department publishes; many packages share a topic."""

    slug: str
    title: str
    title_en: str
    tags: tuple[str, ...]
    formats: tuple[str, ...]
    fields: tuple[str, ...]
    fact: str
    frequency: str | None = None


def topic(slug: str, title: str, title_en: str, tags: str, formats: str, fields: str, fact: str,
          frequency: str | None = None) -> Topic:
    """Build a Topic from the compact notation of the tables below."""
    return Topic(slug, title, title_en, tuple(tags.split("、")), tuple(formats.split()), tuple(fields.split("、")),
                 fact, frequency)


TRANSPORT = (
    topic("bus-ridership", "济南市{year}年公交线路客流统计数据", "Jinan Bus Route Ridership Statistics {year}",
          "公共交通、公交、客流、bus", "CSV XLSX JSON", "线路编号、线路名称、日均客流量、统计月份",
          "数据统计了济南公交各条线路的月度客流量，反映公共交通出行需求的变化。", "每月"),
    topic("bus-routes-stops", "济南市公共交通线路及站点信息", "Jinan Public Transport Bus Routes and Stops",
          "公共交通、公交站点、GIS、bus", "CSV GeoJSON SHP API", "线路名称、站点名称、经度、纬度、首末班时间",
          "包含全市公交线路走向、站点名称及经纬度坐标，可用于出行导航和公共交通线网分析。"),
    topic("taxi-operations", "济南市出租汽车运营情况统计", "Jinan Taxi Operation Statistics",
          "出租车、网约车、运营统计", "XLSX CSV", "企业名称、车辆数、日均载客次数、统计月份",
          "反映全市巡游出租汽车和网络预约出租汽车的运营规模与服务情况。", "每月"),
    topic("road-traffic-flow", "济南市主要道路交通流量监测数据", "Jinan Main Road Traffic Flow Monitoring Data",
          "交通流量、道路、实时路况、API", "API JSON XML", "路段名称、监测时间、车流量、平均车速",
          "来源于城市道路交通流量检测设备，按路段记录车流量和平均车速。", "实时"),
    topic("parking-lots", "济南市{district}公共停车场信息", "Public Parking Lots in {district_en}, Jinan",
          "停车场、停车泊位、智慧交通", "CSV JSON GeoJSON", "停车场名称、地址、泊位数、收费标准",
          "汇总了辖区内对外开放的公共停车场位置、泊位数量和收费标准。"),
    topic("transport-operators", "济南市道路运输经营许可企业名录", "Jinan Licensed Road Transport Operators",
          "道路运输、经营许可、企业名录", "XLSX CSV PDF", "企业名称、许可证号、经营范围、有效期至",
          "列出取得道路运输经营许可的企业及其许可证号、经营范围和有效期。"),
    topic("metro-passengers", "济南市轨道交通{year}年客运量统计", "Jinan Metro Passenger Volume {year}",
          "轨道交通、地铁、客运量、metro", "CSV XLSX", "线路名称、统计日期、进站量、换乘量",
          "记录济南轨道交通各线路的日客运量和换乘量，是公共交通运行分析的基础数据。", "每日"),
)

ENVIRONMENT = (
    topic("air-quality-daily", "济南市空气质量日报（PM2.5）", "Jinan Daily Air Quality Report (PM2.5)",
          "空气质量、PM2.5、AQI、air quality", "CSV JSON API", "监测站点、日期、AQI、PM2.5浓度、PM10浓度、首要污染物",
          "发布全市国控、省控空气质量监测站点的每日空气质量指数和主要污染物浓度。", "每日"),
    topic("air-quality-realtime", "济南市{district}空气质量实时监测数据", "Real-time Air Quality in {district_en}, Jinan",
          "空气质量、实时监测、PM10、API", "API JSON", "监测站点、监测时间、AQI、PM2.5浓度、臭氧浓度",
          "逐小时发布辖区空气质量监测站点的实时监测结果。", "实时"),
    topic("surface-water-quality", "济南市地表水水质监测月报", "Jinan Surface Water Quality Monthly Report",
          "水质、地表水、小清河、水环境", "XLSX PDF CSV", "断面名称、监测日期、水质类别、化学需氧量、氨氮",
          "涵盖黄河、小清河等主要河流断面的水质类别和主要监测指标。", "每月"),
    topic("key-polluters", "济南市重点排污单位名录", "Jinan Key Pollutant-Discharging Entities",
          "排污单位、环境监管、企业名录", "XLSX CSV", "单位名称、统一社会信用代码、行业类别、所属区县",
          "依法确定的水环境、大气环境、土壤环境重点排污单位名录。", "每年"),
    topic("environmental-penalties", "济南市环境行政处罚信息", "Jinan Environmental Administrative Penalties",
          "行政处罚、环境执法、信用信息", "CSV JSON", "处罚决定书文号、当事人名称、违法事实、处罚结果、处罚日期",
          "公开生态环境部门作出的行政处罚决定，接受社会监督。"),
    topic("urban-noise", "济南市{year}年城市声环境质量监测数据", "Jinan Urban Noise Monitoring {year}",
          "噪声、声环境、环境监测", "CSV XLSX", "点位名称、功能区类别、昼间等效声级、夜间等效声级",
          "反映城市各功能区昼间和夜间声环境质量状况。", "每季度"),
)

STATISTICS = (
    topic("industrial-indicators", "济南市规模以上工业企业主要经济指标",
          "Key Indicators of Jinan Industrial Enterprises above Designated Size",
          "规模以上工业、工业增加值、经济指标", "XLSX CSV", "指标名称、本月数值、累计数值、同比增长",
          "反映全市规模以上工业企业的营业收入、利润总额和工业增加值等主要经济指标。", "每月"),
    topic("gdp-quarterly", "济南市{year}年地区生产总值（GDP）季度数据", "Jinan Quarterly GDP {year}",
          "GDP、地区生产总值、国民经济", "XLSX CSV JSON", "季度、地区生产总值、第一产业、第二产业、第三产业",
          "按季度发布全市地区生产总值（GDP）及三次产业增加值和增速。", "每季度"),
    topic("resident-population", "济南市{year}年常住人口统计数据", "Jinan Resident Population {year}",
          "人口、常住人口、人口统计", "XLSX CSV PDF", "区县、常住人口、城镇人口、城镇化率",
          "按区县统计年末常住人口、城镇人口和城镇化率。", "每年"),
    topic("cpi-monthly", "济南市居民消费价格指数（CPI）月度数据", "Jinan Monthly Consumer Price Index (CPI)",
          "CPI、物价、居民消费价格指数", "CSV XLSX API", "统计月份、类别、同比指数、环比指数",
          "按月发布居民消费价格总指数及食品烟酒、居住、交通通信等分类指数。", "每月"),
    topic("retail-sales", "济南市社会消费品零售总额统计", "Jinan Total Retail Sales of Consumer Goods",
          "社会消费品零售总额、消费、商贸流通", "XLSX CSV", "统计月份、零售总额、同比增长、限额以上单位零售额",
          "反映全市消费品市场运行情况和居民消费水平。", "每月"),
    topic("statistical-yearbook", "济南统计年鉴{year}", "Jinan Statistical Yearbook {year}",
          "统计年鉴、年鉴、综合统计、GDP", "PDF XLSX ZIP", "篇章、表名、指标、数值",
          "系统收录全市经济社会发展各方面的统计数据，是了解济南市情的权威资料。", "每年"),
    topic("household-income", "济南市城乡居民人均可支配收入", "Per Capita Disposable Income of Jinan Residents",
          "居民收入、人均可支配收入、民生", "XLSX CSV", "统计期、城镇居民、农村居民、同比增长",
          "按季度发布城镇和农村居民人均可支配收入及增长情况。", "每季度"),
)

NATURAL_RESOURCES = (
    topic("land-supply", "济南市{year}年国有建设用地供应信息", "Jinan State-owned Construction Land Supply {year}",
          "土地供应、建设用地、土地出让", "XLSX CSV PDF", "宗地编号、土地位置、面积、用途、供应方式、成交价格",
          "公开国有建设用地出让和划拨的宗地位置、面积、用途及成交情况。", "每月"),
    topic("planning-permits", "济南市建设工程规划许可证公示信息", "Jinan Construction Project Planning Permits",
          "规划许可、建设工程、批前公示", "CSV JSON PDF", "许可证号、项目名称、建设单位、建设位置、建设规模",
          "公示建设工程规划许可证的核发情况，便于公众查询和监督。"),
    topic("geological-hazards", "济南市地质灾害隐患点分布", "Jinan Geological Hazard Sites",
          "地质灾害、隐患点、防灾减灾、GIS", "SHP GeoJSON CSV", "隐患点编号、位置、灾害类型、威胁人数、经度、纬度",
          "记录全市崩塌、滑坡、地面塌陷等地质灾害隐患点的位置和威胁范围。", "每年"),
    topic("spring-groundwater", "济南市泉水地下水位监测数据", "Jinan Spring Groundwater Level Monitoring",
          "泉水、趵突泉、地下水位、泉城", "CSV JSON API", "监测井名称、监测日期、地下水位、趵突泉水位",
          "济南素有“泉城”之称，本数据记录趵突泉、黑虎泉等泉域的地下水位变化。", "每日"),
    topic("land-use", "济南市国土变更调查土地利用现状", "Jinan Land Use Status Survey",
          "土地利用、国土调查、GIS", "SHP GeoJSON PDF", "地类编码、地类名称、面积、所属区县",
          "基于年度国土变更调查成果，反映各类土地利用现状。", "每年"),
    topic("place-names", "济南市标准地名信息", "Jinan Standard Place Names",
          "地名、地理信息、标准地名", "CSV RDF JSON", "地名、罗马字母拼写、类别、所属区县、经度、纬度",
          "收录经批准的道路、街巷、居民区等标准地名及其拼写和位置。"),
)

MARKET_REGULATION = (
    topic("new-market-entities", "济南市{year}年新登记市场主体信息", "Newly Registered Market Entities in Jinan {year}",
          "市场主体、企业登记、营商环境", "CSV XLSX API", "企业名称、统一社会信用代码、企业类型、成立日期、登记机关",
          "公开新设立登记的企业、个体工商户和农民专业合作社基本信息。", "每月"),
    topic("food-inspections", "济南市食品安全监督抽检结果", "Jinan Food Safety Inspection Results",
          "食品安全、监督抽检、食品", "XLSX CSV PDF", "样品名称、被抽样单位、检验结果、不合格项目、抽样日期",
          "发布食品安全监督抽检的样品、被抽样单位和检验结论。", "每月"),
    topic("abnormal-operations", "济南市经营异常名录企业信息", "Jinan Enterprises on the Abnormal Operations List",
          "经营异常、企业信用、信用信息", "CSV JSON", "企业名称、统一社会信用代码、列入原因、列入日期、作出决定机关",
          "公示被列入经营异常名录的企业及列入原因，服务社会信用体系建设。"),
    topic("special-equipment", "济南市特种设备使用登记信息", "Jinan Special Equipment Registrations",
          "特种设备、电梯、安全监察", "XLSX CSV", "设备类别、使用单位、登记证编号、登记日期",
          "包含电梯、锅炉、压力容器等特种设备的使用登记情况。"),
    topic("registered-trademarks", "济南市有效注册商标统计", "Jinan Registered Trademark Statistics",
          "商标、知识产权、注册商标", "XLSX PDF", "统计期、有效注册商标量、地理标志商标、驰名商标",
          "反映全市商标注册量和知识产权发展水平。", "每季度"),
    topic("administrative-licenses", "济南市市场监管行政许可信息", "Jinan Market Regulation Administrative Licenses",
          "行政许可、双公示、信用信息", "CSV JSON XML", "行政相对人名称、许可证书编号、许可内容、许可决定日期",
          "按照“双公示”要求公开市场监管领域的行政许可决定。", "每周"),
)

HEALTH = (
    topic("medical-institutions", "济南市医疗机构名录", "Jinan Medical Institutions Directory",
          "医疗机构、医院、诊所", "CSV XLSX GeoJSON", "机构名称、机构类别、等级、地址、联系电话",
          "收录全市各级医院、社区卫生服务中心和诊所的基本信息。"),
    topic("vaccination-clinics", "济南市{district}预防接种门诊信息", "Vaccination Clinics in {district_en}, Jinan",
          "预防接种、疫苗、公共卫生", "CSV JSON", "门诊名称、地址、服务时间、咨询电话",
          "列出辖区内预防接种门诊的地址、服务时间和咨询电话。"),
    topic("licensed-physicians", "济南市执业医师注册信息统计", "Jinan Licensed Physician Registrations",
          "执业医师、卫生人员、医师注册", "XLSX CSV", "执业类别、执业范围、注册人数、所属区县",
          "按执业类别和执业范围统计全市注册执业医师数量。", "每年"),
    topic("health-statistics", "济南市{year}年卫生健康事业发展统计", "Jinan Health Development Statistics {year}",
          "卫生统计、医疗床位、诊疗人次", "PDF XLSX", "指标名称、数值、单位、同比增长",
          "统计全市医疗卫生机构数量、床位数、卫生技术人员和诊疗人次。", "每年"),
    topic("emergency-stations", "济南市急救站点分布", "Jinan Emergency Medical Stations",
          "急救、120、急救站点", "GeoJSON CSV SHP", "站点名称、地址、经度、纬度、救护车数量",
          "展示120急救网络站点的空间分布，服务急救资源优化配置。"),
)

EDUCATION = (
    topic("schools", "济南市中小学校名录", "Jinan Primary and Secondary Schools Directory",
          "中小学、学校名录、基础教育", "CSV XLSX", "学校名称、办学类型、地址、所属区县、联系电话",
          "收录全市公办和民办中小学的名称、办学类型和地址。", "每年"),
    topic("school-catchments", "济南市{year}年{district}义务教育学校招生划片范围",
          "{district_en} Compulsory Education School Catchment Areas {year}",
          "学区、招生划片、义务教育", "PDF GeoJSON SHP", "学校名称、招生范围、招生计划",
          "公布义务教育阶段学校招生划片范围，方便家长查询。", "每年"),
    topic("kindergartens", "济南市幼儿园信息", "Jinan Kindergartens",
          "幼儿园、学前教育、普惠性幼儿园", "CSV JSON", "幼儿园名称、性质、地址、班级数、收费标准",
          "包含全市幼儿园的办园性质、规模和收费标准。"),
    topic("education-statistics", "济南市{year}年教育事业统计数据", "Jinan Education Statistics {year}",
          "教育统计、在校生、教职工", "XLSX PDF", "学段、学校数、在校生数、专任教师数",
          "统计各学段学校数量、在校学生和专任教师情况。", "每年"),
    topic("training-whitelist", "济南市校外培训机构白名单", "Jinan Approved Off-campus Training Institutions",
          "校外培训、白名单、教育监管", "CSV XLSX PDF", "机构名称、办学许可证号、培训类别、地址",
          "公布经审批登记的校外培训机构名单，引导家长理性选择。", "每季度"),
)

HOUSING = (
    topic("presale-permits", "济南市商品房预售许可信息", "Jinan Commercial Housing Pre-sale Permits",
          "商品房、预售许可、房地产", "CSV JSON API", "预售证号、项目名称、开发企业、预售面积、发证日期",
          "公开商品房预售许可证的核发情况，便于购房人查询。", "每周"),
    topic("public-rental-housing", "济南市公共租赁住房房源信息", "Jinan Public Rental Housing Listings",
          "公租房、保障性住房、住房保障", "XLSX CSV", "项目名称、地址、户型、套数、租金标准",
          "发布公共租赁住房项目的房源、户型和租金标准。"),
    topic("construction-qualifications", "济南市建筑业企业资质信息", "Jinan Construction Enterprise Qualifications",
          "建筑业、企业资质、建筑市场", "CSV XLSX", "企业名称、资质类别、资质等级、证书编号、有效期",
          "记录建筑业企业的资质类别、等级和证书有效期。"),
    topic("old-community-renovation", "济南市{year}年老旧小区改造项目清单",
          "Jinan Old Residential Community Renovation Projects {year}",
          "老旧小区、城市更新、民生工程", "XLSX PDF", "小区名称、所属区县、楼栋数、户数、改造内容",
          "列出年度老旧小区改造计划中的小区名称、规模和改造内容。", "每年"),
    topic("housing-transactions", "济南市新建商品住宅成交统计", "Jinan New Residential Housing Transactions",
          "房地产、成交量、商品住宅", "CSV XLSX JSON", "统计周期、成交套数、成交面积、成交均价",
          "按周期统计新建商品住宅网签成交套数、面积和均价。", "每周"),
)

AGRICULTURE = (
    topic("farm-product-prices", "济南市主要农产品批发价格监测数据", "Jinan Wholesale Prices of Major Agricultural Products",
          "农产品、批发价格、菜篮子", "CSV JSON API", "品种、市场名称、最高价、最低价、平均价、日期",
          "监测主要批发市场蔬菜、水果、肉蛋等农产品的每日价格。", "每日"),
    topic("crop-output", "济南市{year}年主要农作物播种面积及产量", "Jinan Main Crops Sown Area and Output {year}",
          "农作物、粮食产量、播种面积", "XLSX CSV", "作物名称、播种面积、总产量、单产",
          "统计小麦、玉米等主要农作物的播种面积、总产量和单位面积产量。", "每年"),
    topic("farmer-cooperatives", "济南市农民专业合作社名录", "Jinan Farmers' Cooperatives Directory",
          "农民专业合作社、新型农业经营主体", "CSV XLSX", "合作社名称、所属区县、主营业务、成员数",
          "收录在册农民专业合作社的主营业务和成员规模。"),
    topic("green-food", "济南市绿色食品认证产品目录", "Jinan Certified Green Food Products",
          "绿色食品、农产品质量、认证", "XLSX PDF", "产品名称、企业名称、证书编号、有效期",
          "公布获得绿色食品认证的农产品及生产企业。", "每半年"),
    topic("rural-tourism", "济南市休闲农业和乡村旅游示范点", "Jinan Leisure Agriculture and Rural Tourism Sites",
          "休闲农业、乡村旅游、乡村振兴", "CSV GeoJSON", "示范点名称、地址、特色项目、经度、纬度",
          "推介全市休闲农业和乡村旅游示范点，助力乡村振兴。"),
)

PUBLIC_SECURITY = (
    topic("violation-hotspots", "济南市交通违法高发路段信息", "Jinan Traffic Violation Hotspots",
          "交通违法、交警、道路安全", "CSV JSON", "路段名称、违法类型、违法数量、统计周期",
          "发布交通违法行为高发路段，提醒驾驶人安全文明出行。", "每月"),
    topic("household-registration-offices", "济南市户政业务办理网点", "Jinan Household Registration Service Points",
          "户政、办事网点、便民服务", "CSV JSON", "网点名称、地址、办公时间、咨询电话",
          "列出各派出所户籍窗口的地址、办公时间和咨询电话。"),
    topic("vehicle-ownership", "济南市{year}年机动车保有量统计", "Jinan Motor Vehicle Ownership {year}",
          "机动车、保有量、车辆登记", "XLSX CSV", "车辆类型、保有量、新注册量、同比增长",
          "按车辆类型统计全市机动车保有量和新注册登记数量。", "每年"),
    topic("exit-entry-offices", "济南市出入境证件办理点信息", "Jinan Exit-Entry Service Points",
          "出入境、护照、便民服务", "CSV JSON", "办理点名称、地址、可办业务、办公时间",
          "提供出入境证件受理点的地址、可办理业务和办公时间。"),
    topic("traffic-signals", "济南市交通信号灯及电子警察点位", "Jinan Traffic Signals and Enforcement Camera Locations",
          "交通信号灯、电子警察、GIS", "GeoJSON SHP CSV", "点位编号、路口名称、设备类型、经度、纬度",
          "记录城市道路交通信号灯和电子警察设备的点位分布。"),
)

CULTURE_TOURISM = (
    topic("scenic-spots", "济南市A级旅游景区名录", "Jinan A-rated Tourist Attractions",
          "旅游景区、趵突泉、大明湖、tourism", "CSV XLSX GeoJSON", "景区名称、等级、地址、开放时间、门票价格",
          "收录趵突泉、大明湖、千佛山等A级旅游景区的等级、地址和开放时间。"),
    topic("holiday-visitor-flow", "济南市节假日重点景区客流数据", "Jinan Holiday Visitor Flow at Key Attractions",
          "景区客流、节假日、旅游统计", "CSV JSON API", "景区名称、日期、接待人次、同比增长",
          "统计节假日期间重点景区的接待游客人次和同比变化。"),
    topic("star-hotels", "济南市星级饭店名录", "Jinan Star-rated Hotels",
          "星级饭店、住宿、旅游服务", "CSV XLSX", "饭店名称、星级、地址、客房数、联系电话",
          "列出全市星级饭店的星级、地址和客房规模。", "每半年"),
    topic("intangible-heritage", "济南市非物质文化遗产代表性项目名录", "Jinan Intangible Cultural Heritage Items",
          "非物质文化遗产、非遗、传统文化", "XLSX PDF RDF", "项目名称、类别、级别、保护单位、公布批次",
          "收录济南市级以上非物质文化遗产代表性项目及保护单位。", "不定期"),
    topic("libraries-museums", "济南市公共图书馆和博物馆信息", "Jinan Public Libraries and Museums",
          "图书馆、博物馆、公共文化服务", "CSV JSON GeoJSON", "场馆名称、类型、地址、开放时间、联系电话",
          "提供全市公共图书馆、博物馆等公共文化场馆的开放信息。"),
)

HUMAN_RESOURCES = (
    topic("social-insurance-agencies", "济南市社会保险经办机构信息", "Jinan Social Insurance Service Agencies",
          "社会保险、社保、经办机构", "CSV JSON", "机构名称、地址、服务内容、咨询电话",
          "列出社会保险经办机构的地址、服务内容和咨询电话。"),
    topic("minimum-wage", "济南市最低工资标准", "Jinan Minimum Wage Standards",
          "最低工资、工资标准、劳动保障", "XLSX PDF", "执行日期、月最低工资标准、小时最低工资标准、适用区域",
          "公布全市各区县执行的月最低工资和小时最低工资标准。", "不定期"),
    topic("job-market", "济南市人力资源市场岗位供求信息", "Jinan Labor Market Job Supply and Demand",
          "就业、招聘岗位、人力资源市场", "CSV XLSX API", "职业类别、需求人数、求职人数、求人倍率、统计季度",
          "按职业类别统计人力资源市场的岗位需求和求职人数。", "每季度"),
    topic("training-subsidies", "济南市职业技能培训补贴目录", "Jinan Vocational Skills Training Subsidy Catalog",
          "职业培训、培训补贴、技能提升", "XLSX PDF", "职业（工种）名称、等级、补贴标准",
          "公布可享受职业技能培训补贴的职业（工种）和补贴标准。", "每年"),
    topic("pension-coverage", "济南市{year}年城乡居民养老保险参保情况", "Jinan Residents' Pension Insurance Coverage {year}",
          "养老保险、参保人数、社会保障", "XLSX CSV", "区县、参保人数、领取待遇人数、基金支出",
          "统计各区县城乡居民基本养老保险参保和待遇领取情况。", "每年"),
)

#: every topic of every department
TOPICS: tuple[Topic, ...] = (TRANSPORT + ENVIRONMENT + STATISTICS + NATURAL_RESOURCES + MARKET_REGULATION + HEALTH
                             + EDUCATION + HOUSING + AGRICULTURE + PUBLIC_SECURITY + CULTURE_TOURISM + HUMAN_RESOURCES)
