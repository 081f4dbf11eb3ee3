//! The data the generated organisation is made of: naming locales (native and ASCII
//! forms), the VPs' fixed names, offices, departments with matching titles, partner
//! companies for guests.

pub(crate) type Name = (&'static str, &'static str);

/// A naming locale: given names and surnames as (native, ASCII for the UPN).
/// An empty ASCII form means "fold the native form".
pub(crate) struct Locale {
    pub weight: u32,
    pub given: &'static [Name],
    pub surnames: &'static [Name],
    /// 0: "Given Surname", 1: "SurnameGiven" (Chinese), 2: "Surname Given" (Japanese).
    pub order: u8,
    pub offices: &'static [usize],
}

macro_rules! latin {
    ($($n:literal),* $(,)?) => { &[$(($n, "")),*] };
}

pub(crate) const LOCALES: &[Locale] = &[
    Locale {
        weight: 46,
        given: latin!(
            "James",
            "Mary",
            "Robert",
            "Patricia",
            "John",
            "Jennifer",
            "Michael",
            "Linda",
            "David",
            "Elizabeth",
            "William",
            "Barbara",
            "Richard",
            "Susan",
            "Joseph",
            "Jessica",
            "Thomas",
            "Sarah",
            "Charles",
            "Karen",
            "Christopher",
            "Lisa",
            "Daniel",
            "Nancy",
            "Matthew",
            "Sandra",
            "Anthony",
            "Ashley",
            "Mark",
            "Emily",
            "Andrew",
            "Megan",
            "Olivia",
            "Liam",
            "Noah",
            "Emma",
            "Ava",
            "Ethan",
            "Chloe",
            "Grace"
        ),
        surnames: latin!(
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
            "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
            "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
            "Roberts", "Carter", "Phillips", "Evans", "Turner", "O'Connor"
        ),
        order: 0,
        offices: &[0, 1, 2],
    },
    Locale {
        weight: 9,
        given: latin!(
            "José", "María", "Ana", "Lucía", "Javier", "Carmen", "Sofía", "Mateo", "Martín",
            "Andrés", "Inés", "Raúl", "Álvaro", "Pilar", "Nuria", "Iñigo"
        ),
        surnames: latin!(
            "Núñez",
            "García",
            "Rodríguez",
            "Martínez",
            "López",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Fernández",
            "Díaz",
            "Muñoz",
            "Jiménez",
            "Ruiz",
            "Hernández",
            "Álvarez",
            "Castaño"
        ),
        order: 0,
        offices: &[4, 13],
    },
    Locale {
        weight: 8,
        given: latin!(
            "Zoë", "Søren", "Åsa", "Jörg", "Jürgen", "Björn", "Ingrid", "Sigrid", "Lena", "Lukas",
            "Maja", "Æsa", "Götz", "Frida"
        ),
        surnames: latin!(
            "Ødegård",
            "Müller",
            "Schröder",
            "Weiß",
            "Bäcker",
            "Fischer",
            "Hansen",
            "Johansson",
            "Lindqvist",
            "Sørensen",
            "Åberg",
            "Krüger",
            "Öztürk",
            "Schmidt"
        ),
        order: 0,
        offices: &[5, 6],
    },
    Locale {
        weight: 6,
        given: latin!(
            "Łukasz",
            "Małgorzata",
            "Paweł",
            "Agnieszka",
            "Wojciech",
            "Katarzyna",
            "Michał",
            "Zofia",
            "Jędrzej",
            "Grażyna"
        ),
        surnames: latin!(
            "Żółw",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kamińska",
            "Lewandowski",
            "Zieliński",
            "Szymańska",
            "Woźniak",
            "Dąbrowski",
            "Kozłowski",
            "Jankowska"
        ),
        order: 0,
        offices: &[7],
    },
    Locale {
        weight: 5,
        given: latin!(
            "Siobhán", "Aoife", "Niamh", "Seán", "Ciarán", "Oisín", "Róisín", "Pádraig", "Eoin",
            "Saoirse"
        ),
        surnames: latin!(
            "Ó Briain",
            "Murphy",
            "Kelly",
            "O'Sullivan",
            "Walsh",
            "Ó Ceallaigh",
            "Mac Cárthaigh",
            "Byrne",
            "Ryan",
            "Ní Mhurchú"
        ),
        order: 0,
        offices: &[3],
    },
    Locale {
        weight: 4,
        given: &[
            ("Ηλίας", "ilias"),
            ("Νίκος", "nikos"),
            ("Μαρία", "maria"),
            ("Ελένη", "eleni"),
            ("Γιώργος", "giorgos"),
            ("Κατερίνα", "katerina"),
            ("Δημήτρης", "dimitris"),
            ("Σοφία", "sofia"),
        ],
        surnames: &[
            ("Παπαδόπουλος", "papadopoulos"),
            ("Οικονόμου", "oikonomou"),
            ("Γεωργίου", "georgiou"),
            ("Νικολάου", "nikolaou"),
            ("Αλεξίου", "alexiou"),
            ("Βασιλείου", "vasileiou"),
        ],
        order: 0,
        offices: &[8],
    },
    Locale {
        weight: 6,
        given: &[
            ("伟", "wei"),
            ("芳", "fang"),
            ("娜", "na"),
            ("敏", "min"),
            ("静", "jing"),
            ("磊", "lei"),
            ("洋", "yang"),
            ("杰", "jie"),
            ("婷", "ting"),
            ("强", "qiang"),
            ("秀英", "xiuying"),
            ("建华", "jianhua"),
        ],
        surnames: &[
            ("王", "wang"),
            ("李", "li"),
            ("张", "zhang"),
            ("刘", "liu"),
            ("陈", "chen"),
            ("杨", "yang"),
            ("黄", "huang"),
            ("赵", "zhao"),
            ("吴", "wu"),
            ("周", "zhou"),
        ],
        order: 1,
        offices: &[9],
    },
    Locale {
        weight: 4,
        given: &[
            ("花子", "hanako"),
            ("太郎", "taro"),
            ("陽菜", "hina"),
            ("蓮", "ren"),
            ("結衣", "yui"),
            ("翔", "sho"),
            ("さくら", "sakura"),
            ("健太", "kenta"),
        ],
        surnames: &[
            ("佐藤", "sato"),
            ("鈴木", "suzuki"),
            ("高橋", "takahashi"),
            ("田中", "tanaka"),
            ("伊藤", "ito"),
            ("渡辺", "watanabe"),
            ("山本", "yamamoto"),
            ("中村", "nakamura"),
        ],
        order: 2,
        offices: &[10],
    },
    Locale {
        weight: 7,
        given: latin!(
            "Priya", "Rahul", "Ananya", "Arjun", "Deepika", "Vikram", "Aarav", "Kavya", "Rohan",
            "Sneha"
        ),
        surnames: latin!(
            "Sharma",
            "Patel",
            "Iyer",
            "Reddy",
            "Gupta",
            "Nair",
            "Singh",
            "Kumar",
            "Menon",
            "Chatterjee"
        ),
        order: 0,
        offices: &[11],
    },
    Locale {
        weight: 5,
        given: latin!(
            "Élodie",
            "Hélène",
            "François",
            "Benoît",
            "Chloé",
            "Théo",
            "Gaëlle",
            "Jérôme",
            "Léa",
            "Noël"
        ),
        surnames: latin!(
            "Lefèvre",
            "Dubois",
            "Moreau",
            "Girard",
            "Rousseau",
            "Lemaître",
            "Fournier",
            "Mercier",
            "Chevalier",
            "Bérubé"
        ),
        order: 0,
        offices: &[12],
    },
];

/// The VPs get these names (locale index, given, surname), so every org of nine or more
/// people has them.
pub(crate) const FIXED_NAMES: &[(usize, Name, Name)] = &[
    (1, ("José", ""), ("Núñez", "")),
    (2, ("Zoë", ""), ("Ødegård", "")),
    (6, ("伟", "wei"), ("王", "wang")),
    (3, ("Łukasz", ""), ("Żółw", "")),
    (4, ("Siobhán", ""), ("Ó Briain", "")),
    (5, ("Ηλίας", "ilias"), ("Παπαδόπουλος", "papadopoulos")),
    (8, ("Priya", ""), ("Sharma", "")),
    (9, ("Élodie", ""), ("Lefèvre", "")),
];

pub(crate) struct Office {
    pub city: &'static str,
    pub country: &'static str,
    pub code: &'static str,
    pub phone: &'static str,
    pub mobile: &'static str,
}

pub(crate) const OFFICES: &[Office] = &[
    Office {
        city: "Seattle",
        country: "United States",
        code: "SEA",
        phone: "+1 206 555 ",
        mobile: "+1 425 555 ",
    },
    Office {
        city: "New York",
        country: "United States",
        code: "NYC",
        phone: "+1 212 555 ",
        mobile: "+1 917 555 ",
    },
    Office {
        city: "London",
        country: "United Kingdom",
        code: "LON",
        phone: "+44 20 7946 ",
        mobile: "+44 7700 900",
    },
    Office {
        city: "Dublin",
        country: "Ireland",
        code: "DUB",
        phone: "+353 1 555 ",
        mobile: "+353 85 555 ",
    },
    Office {
        city: "Madrid",
        country: "Spain",
        code: "MAD",
        phone: "+34 91 555 ",
        mobile: "+34 612 555 ",
    },
    Office {
        city: "Berlin",
        country: "Germany",
        code: "BER",
        phone: "+49 30 5555 ",
        mobile: "+49 151 5555 ",
    },
    Office {
        city: "Oslo",
        country: "Norway",
        code: "OSL",
        phone: "+47 21 55 ",
        mobile: "+47 412 55 ",
    },
    Office {
        city: "Warsaw",
        country: "Poland",
        code: "WAW",
        phone: "+48 22 555 ",
        mobile: "+48 501 555 ",
    },
    Office {
        city: "Athens",
        country: "Greece",
        code: "ATH",
        phone: "+30 21 0555 ",
        mobile: "+30 69 5555 ",
    },
    Office {
        city: "Shanghai",
        country: "China",
        code: "SHA",
        phone: "+86 21 5555 ",
        mobile: "+86 139 5555 ",
    },
    Office {
        city: "Tokyo",
        country: "Japan",
        code: "TYO",
        phone: "+81 3 5555 ",
        mobile: "+81 90 5555 ",
    },
    Office {
        city: "Bengaluru",
        country: "India",
        code: "BLR",
        phone: "+91 80 5555 ",
        mobile: "+91 98455 ",
    },
    Office {
        city: "Paris",
        country: "France",
        code: "PAR",
        phone: "+33 1 55 55 ",
        mobile: "+33 6 55 55 ",
    },
    Office {
        city: "São Paulo",
        country: "Brazil",
        code: "SAO",
        phone: "+55 11 5555 ",
        mobile: "+55 11 95555 ",
    },
];

pub(crate) struct Dept {
    pub name: &'static str,
    pub weight: u32,
    pub manager: &'static str,
    pub ics: &'static [&'static str],
}

pub(crate) const DEPTS: &[Dept] = &[
    Dept {
        name: "Engineering",
        weight: 30,
        manager: "Engineering Manager",
        ics: &[
            "Software Engineer",
            "Senior Software Engineer",
            "Principal Engineer",
            "QA Engineer",
            "DevOps Engineer",
            "Data Engineer",
            "Site Reliability Engineer",
        ],
    },
    Dept {
        name: "Sales",
        weight: 18,
        manager: "Sales Manager",
        ics: &[
            "Account Executive",
            "Senior Account Executive",
            "Sales Development Representative",
            "Solutions Consultant",
            "Sales Operations Analyst",
        ],
    },
    Dept {
        name: "Customer Support",
        weight: 14,
        manager: "Support Team Lead",
        ics: &[
            "Support Engineer",
            "Technical Support Specialist",
            "Customer Success Manager",
            "Support Analyst",
        ],
    },
    Dept {
        name: "Marketing",
        weight: 9,
        manager: "Marketing Manager",
        ics: &[
            "Marketing Specialist",
            "Content Strategist",
            "Product Marketing Manager",
            "Marketing Analyst",
            "Graphic Designer",
        ],
    },
    Dept {
        name: "IT",
        weight: 9,
        manager: "IT Manager",
        ics: &[
            "Systems Administrator",
            "IT Support Technician",
            "Network Engineer",
            "Security Analyst",
            "Identity Engineer",
        ],
    },
    Dept {
        name: "Finance",
        weight: 8,
        manager: "Finance Manager",
        ics: &[
            "Financial Analyst",
            "Accountant",
            "Payroll Specialist",
            "Controller",
            "Accounts Payable Clerk",
        ],
    },
    Dept {
        name: "Human Resources",
        weight: 6,
        manager: "HR Manager",
        ics: &[
            "HR Generalist",
            "Recruiter",
            "HR Business Partner",
            "Talent Acquisition Specialist",
        ],
    },
    Dept {
        name: "Legal",
        weight: 6,
        manager: "Legal Operations Manager",
        ics: &[
            "Legal Counsel",
            "Paralegal",
            "Contracts Manager",
            "Compliance Officer",
        ],
    },
];

pub(crate) const PARTNERS: &[(&str, &str)] = &[
    ("Fabrikam", "fabrikam.com"),
    ("Northwind Traders", "northwindtraders.com"),
    ("Adatum", "adatum.com"),
    ("Litware", "litwareinc.com"),
];
