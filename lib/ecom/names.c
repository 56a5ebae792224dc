/* names.c - the small fixed vocabulary behind personal data (names, streets, cities, e-mail
 * domains). Fixed lists keep the output stable across releases; they are part of the model. */
#include "names.h"

const char *const ec_first_names[] = {
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret",
    "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Jason", "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy",
    "Jacob", "Amy", "Gary", "Kathleen", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Emma",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Anna", "Brandon", "Samantha",
    "Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Debra", "Alexander", "Rachel", "Patrick",
    "Carolyn", "Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis", "Heather", "Jerry", "Helen",
    "Tyler", "Catherine", "Aaron", "Diane", "Jose", "Julie", "Adam", "Victoria", "Nathan", "Joyce",
    "Henry", "Lauren", "Zachary", "Kelly", "Douglas", "Christina", "Peter", "Ruth", "Kyle", "Joan",
    "Noah", "Virginia", "Ethan", "Judith", "Jeremy", "Evelyn", "Walter", "Hannah", "Christian", "Andrea",
};
const size_t ec_n_first_names = sizeof ec_first_names / sizeof ec_first_names[0];

const char *const ec_last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera",
};
const size_t ec_n_last_names = sizeof ec_last_names / sizeof ec_last_names[0];

const char *const ec_street_names[] = {
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Church",
    "Highland", "Sunset", "Jackson", "Lincoln", "Franklin", "River", "Meadow", "Forest", "Spring",
    "Valley", "Willow", "Hickory", "Chestnut", "Walnut", "Dogwood", "Madison", "Jefferson", "Adams",
    "Monroe", "Ridge", "Cherry", "Birch", "Aspen", "Laurel", "Magnolia", "Sycamore", "Juniper",
    "Harbor", "Prairie", "Canyon", "Mill", "Bridge", "Summit", "Orchard", "Garden", "Brook", "Grove",
};
const size_t ec_n_street_names = sizeof ec_street_names / sizeof ec_street_names[0];

const char *const ec_street_suffixes[] = {"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way",
                                          "Place", "Boulevard", "Terrace", "Circle", "Trail"};
const size_t ec_n_street_suffixes = sizeof ec_street_suffixes / sizeof ec_street_suffixes[0];

const char *const ec_cities[] = {
    "Springfield", "Riverside", "Franklin", "Greenville", "Bristol", "Clinton", "Fairview", "Salem",
    "Madison", "Georgetown", "Arlington", "Ashland", "Burlington", "Manchester", "Milton", "Newport",
    "Oxford", "Dayton", "Lexington", "Jackson", "Auburn", "Kingston", "Dover", "Hudson", "Marion",
    "Port Brianside", "Lake Jessica", "East Michael", "North Sarah", "West Laura", "New Thomas",
    "South Kevin", "Mount Vernon", "Glendale", "Centerville", "Plymouth", "Oakland", "Winchester",
};
const size_t ec_n_cities = sizeof ec_cities / sizeof ec_cities[0];

const char *const ec_states[] = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL",
                                 "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT",
                                 "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI",
                                 "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"};
const size_t ec_n_states = sizeof ec_states / sizeof ec_states[0];

const char *const ec_free_domains[] = {"gmail.com", "yahoo.com", "hotmail.com"};
const size_t ec_n_free_domains = 3;

const char *const ec_guest_domains[] = {"example.com", "example.org", "example.net"};
const size_t ec_n_guest_domains = 3;

const char *const ec_words[] = {"blue", "river", "stone", "quick", "maple", "solar", "pixel", "north",
                                "amber", "cloud", "delta", "ember", "frost", "grove", "harbor", "ivory",
                                "jade", "lunar", "mesa", "nova", "orbit", "prism", "quartz", "raven"};
const size_t ec_n_words = sizeof ec_words / sizeof ec_words[0];
